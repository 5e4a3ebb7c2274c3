using Backup.Database.Jobs;
using MassTransit;

namespace Backup.Restorer.Consumers;

/// <summary>
/// Accepting a request only stores a job, so messages are taken a few at a time and acknowledged within
/// milliseconds; how many restores run at once is Restore:ConcurrentRestores, in the job worker. If the catalog
/// database is away, storing the job is tried again a few times, then the message goes to restore-artifact_error.
/// </summary>
public sealed class RestoreArtifactConsumerDefinition : ConsumerDefinition<RestoreArtifactConsumer>
{
    public RestoreArtifactConsumerDefinition()
    {
        EndpointName = "restore-artifact";
        ConcurrentMessageLimit = JobAcceptingEndpoint.MessagesAtOnce;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<RestoreArtifactConsumer> consumer, IRegistrationContext context) =>
        JobAcceptingEndpoint.Configure(endpoint);
}
