using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Consumers;

/// <summary>
/// Restore drills by email, once per run and recipient (<see cref="MailDelivery"/>, as the failure alert):
/// BackupVerificationFailed sends the urgent alert naming what failed and the first thing to check; a BackupVerified
/// whose measured recovery time is over the source's target sends a warning.
/// </summary>
public sealed class SendDrillAlertConsumer(
    IOptions<NotifierOptions> options,
    MailDelivery delivery,
    ILogger<SendDrillAlertConsumer> logger) : IConsumer<BackupVerificationFailed>, IConsumer<BackupVerified>
{
    public async Task Consume(ConsumeContext<BackupVerificationFailed> context)
    {
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        using var activity = NotifierTelemetry.Source.StartActivity("send drill failure alert");
        activity?.SetTag("backup.run_id", failure.RunId);
        var from = options.Value.From;
        var result = await delivery.DeliverAsync(failure.RunId, failure.Source, NotificationKinds.DrillFailureAlert,
            options.Value.AdministratorsOf(failure.Source),
            (to, _) => Task.FromResult(DrillEmails.FailureAlert(from, to, failure)), context.CancellationToken);
        if (result.SentNow > 0) Log.DrillAlertSent(logger, failure.RunId, failure.ErrorCode);
    }

    public async Task Consume(ConsumeContext<BackupVerified> context)
    {
        var verified = context.Message;
        if (!DrillEmails.OverTarget(verified)) return;
        using var scope = logger.BeginRunScope(verified.RunId);
        using var activity = NotifierTelemetry.Source.StartActivity("send drill over-target warning");
        activity?.SetTag("backup.run_id", verified.RunId);
        var from = options.Value.From;
        var result = await delivery.DeliverAsync(verified.RunId, verified.Source, NotificationKinds.DrillRtoWarning,
            options.Value.AdministratorsOf(verified.Source),
            (to, _) => Task.FromResult(DrillEmails.OverTargetWarning(from, to, verified)), context.CancellationToken);
        if (result.SentNow > 0) Log.DrillOverTargetSent(logger, verified.RunId, verified.RecoveryTimeSeconds, verified.RtoTargetSeconds);
    }
}
