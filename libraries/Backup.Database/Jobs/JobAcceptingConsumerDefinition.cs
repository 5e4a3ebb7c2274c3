using Backup.Database.Outages;
using MassTransit;
using Npgsql;

namespace Backup.Database.Jobs;

/// <summary>
/// The receive endpoint of a consumer that only stores a job (<see cref="JobQueue.EnqueueAsync{TPayload}"/>) and is
/// done: a few messages at a time (each is acknowledged within milliseconds; how many jobs run at once is the job
/// worker's limit). While the catalog database is unavailable the message is held and storing the job tried again
/// for CatalogOutage:RideOut (<see cref="CatalogOutageRetry"/>); another database fault is tried again after 1, 5, 15,
/// 30 s. Past those the message goes to the endpoint's _error queue, where nothing is lost (MassTransit's
/// move-to-error-queue). A held message keeps one of the <see cref="MessagesAtOnce"/> slots (the prefetch too), so
/// during an outage at most that many requests are held per instance and the rest wait, ready, in the queue.
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
        endpoint.UseCatalogOutageRetry(context);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<NpgsqlException>();
            retry.LeaveOutagesOut();
            retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        });
    }
}
