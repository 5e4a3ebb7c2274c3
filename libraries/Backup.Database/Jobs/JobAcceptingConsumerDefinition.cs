using MassTransit;
using Npgsql;

namespace Backup.Database.Jobs;

/// <summary>
/// The receive endpoint of a consumer that only stores a job: a few messages at a time (each is acknowledged within
/// milliseconds; how many jobs run at once is the job worker's limit), and storing the job is tried again when the
/// catalog database is away (1, 5, 15, 30 s), after which the message goes to the endpoint's _error queue, where
/// nothing is lost (MassTransit's move-to-error-queue).
/// </summary>
public static class JobAcceptingEndpoint
{
    public const int MessagesAtOnce = 4;

    public static void Configure(IReceiveEndpointConfigurator endpoint)
    {
        endpoint.PrefetchCount = MessagesAtOnce;
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<NpgsqlException>();
            retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        });
    }
}
