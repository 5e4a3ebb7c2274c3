using Backup.Database.Jobs;
using MassTransit;

namespace Backup.Dumper.Consumers;

/// <summary>
/// Accepting a request only stores a job, so messages are taken a few at a time and acknowledged within
/// milliseconds; how many dumps run at once is Dumper:ConcurrentDumps, in the job worker. If the catalog database
/// is away, storing the job is tried again a few times, then the message goes to dump-database_error, where
/// nothing is lost (MassTransit's move-to-error-queue).
/// </summary>
public sealed class DumpDatabaseConsumerDefinition : ConsumerDefinition<DumpDatabaseConsumer>
{
    public DumpDatabaseConsumerDefinition()
    {
        EndpointName = "dump-database";
        ConcurrentMessageLimit = JobAcceptingEndpoint.MessagesAtOnce;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<DumpDatabaseConsumer> consumer, IRegistrationContext context) =>
        JobAcceptingEndpoint.Configure(endpoint);
}
