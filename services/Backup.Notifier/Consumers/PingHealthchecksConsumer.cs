using Backup.Contracts;
using Backup.Notifier.Alerts;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// healthchecks.io-style pings of a source's check (Notifier:Sources:&lt;source&gt;:PingUrl): start, success, fail; a
/// failed restore drill pings fail too (the next completed backup pings success again).
/// </summary>
public sealed class PingHealthchecksConsumer(HealthchecksPinger pinger) :
    IConsumer<BackupStarted>, IConsumer<BackupCompleted>, IConsumer<BackupFailed>, IConsumer<BackupVerificationFailed>
{
    public Task Consume(ConsumeContext<BackupStarted> context) =>
        pinger.PingAsync(context.Message.Source, HealthchecksPinger.Start, $"run {context.Message.RunId} started", context.CancellationToken);

    public Task Consume(ConsumeContext<BackupCompleted> context) =>
        pinger.PingAsync(context.Message.Source, HealthchecksPinger.Success,
            $"run {context.Message.RunId} completed: {context.Message.SizeBytes} bytes, SHA-256 {context.Message.Sha256}", context.CancellationToken);

    public Task Consume(ConsumeContext<BackupFailed> context) =>
        pinger.PingAsync(context.Message.Source, HealthchecksPinger.Fail,
            $"run {context.Message.RunId} failed ({context.Message.ErrorCode}): {context.Message.Reason}", context.CancellationToken);

    public Task Consume(ConsumeContext<BackupVerificationFailed> context) =>
        pinger.PingAsync(context.Message.Source, HealthchecksPinger.Fail,
            $"run {context.Message.RunId}: restore drill failed ({context.Message.ErrorCode}): {context.Message.Reason}", context.CancellationToken);
}
