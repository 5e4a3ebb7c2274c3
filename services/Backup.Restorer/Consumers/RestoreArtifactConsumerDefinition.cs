using Backup.Restorer.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Restorer.Consumers;

/// <summary>
/// At most Restore:ConcurrentRestores restores at once per instance (each runs pg_restore with Restore:Jobs jobs);
/// the queue "restore-artifact" holds the rest. No retry: a restore that fails has published RestoreFailed, and
/// running it again could only meet the database it left behind.
/// </summary>
public sealed class RestoreArtifactConsumerDefinition : ConsumerDefinition<RestoreArtifactConsumer>
{
    public RestoreArtifactConsumerDefinition(IOptions<RestoreOptions> options)
    {
        EndpointName = "restore-artifact";
        ConcurrentMessageLimit = options.Value.ConcurrentRestores;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<RestoreArtifactConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = ConcurrentMessageLimit ?? 1;
    }
}
