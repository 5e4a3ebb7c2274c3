using Backup.Contracts;
using Backup.Database.Outages;
using Backup.Retention.Cleanup;
using MassTransit;

namespace Backup.Retention.Consumers;

/// <summary>Each completed backup may push an older one past the limit: sweep right away.</summary>
public sealed class SweepAfterBackupConsumer(RetentionSweep sweep) : IConsumer<BackupCompleted>
{
    public Task Consume(ConsumeContext<BackupCompleted> context) => sweep.RunAsync(context.CancellationToken);
}

/// <summary>
/// One sweep at a time. The catalog database unavailable holds the event for CatalogOutage:RideOut
/// (<see cref="CatalogOutageRetry"/>); another fault is tried again after 1 and 5 s; then the event goes to
/// retention-sweep_error.
/// </summary>
public sealed class SweepAfterBackupConsumerDefinition : ConsumerDefinition<SweepAfterBackupConsumer>
{
    public SweepAfterBackupConsumerDefinition()
    {
        EndpointName = "retention-sweep";
        ConcurrentMessageLimit = 1;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<SweepAfterBackupConsumer> consumer, IRegistrationContext context)
    {
        endpoint.UseCatalogOutageRetry(context);
        endpoint.UseMessageRetry(retry => retry.LeaveOutagesOut().Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));
    }
}
