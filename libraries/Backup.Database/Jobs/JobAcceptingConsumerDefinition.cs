using MassTransit;
using Npgsql;

namespace Backup.Database.Jobs;

/// <summary>
/// The receive endpoint of a consumer that only stores a job (<see cref="JobQueue.EnqueueAsync{TPayload}"/>) and is
/// done: a few messages at a time (each is acknowledged within milliseconds; how many jobs run at once is the job
/// worker's limit), and storing the job is tried again when the catalog database is away (1, 5, 15, 30 s), after
/// which the message goes to the endpoint's _error queue, where nothing is lost (MassTransit's move-to-error-queue).
/// A service names its endpoint: <c>sealed class DumpDatabaseConsumerDefinition() : JobAcceptingConsumerDefinition&lt;DumpDatabaseConsumer&gt;("dump-database")</c>.
/// </summary>
public abstract class JobAcceptingConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public const int MessagesAtOnce = 4;

    protected JobAcceptingConsumerDefinition(string endpointName)
    {
        EndpointName = endpointName;
        ConcurrentMessageLimit = MessagesAtOnce;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = MessagesAtOnce;
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<NpgsqlException>();
            retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        });
    }
}
