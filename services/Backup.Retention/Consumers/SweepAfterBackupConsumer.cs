using Backup.Contracts;
using Backup.Retention.Cleanup;
using MassTransit;

namespace Backup.Retention.Consumers;

/// <summary>Each completed backup may push an older one past the limit: sweep right away.</summary>
public sealed class SweepAfterBackupConsumer(RetentionSweep sweep) : IConsumer<BackupCompleted>
{
    public Task Consume(ConsumeContext<BackupCompleted> context) => sweep.RunAsync(context.CancellationToken);
}

public sealed class SweepAfterBackupConsumerDefinition : ConsumerDefinition<SweepAfterBackupConsumer>
{
    public SweepAfterBackupConsumerDefinition()
    {
        EndpointName = "retention-sweep";
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<SweepAfterBackupConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(retry => retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));
}
