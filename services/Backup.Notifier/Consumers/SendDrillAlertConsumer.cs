using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// Restore drills by email, once per run and recipient (<see cref="MailDelivery"/>, as the failure alert):
/// BackupVerificationFailed sends the urgent alert naming what failed and the first thing to check; a BackupVerified
/// whose measured recovery time is over the source's target sends a warning.
/// </summary>
public sealed class SendDrillAlertConsumer(
    MailDelivery delivery,
    ILogger<SendDrillAlertConsumer> logger) : IConsumer<BackupVerificationFailed>, IConsumer<BackupVerified>
{
    public async Task Consume(ConsumeContext<BackupVerificationFailed> context)
    {
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        var result = await delivery.AlertAdministratorsAsync("send drill failure alert", failure.RunId, failure.Source,
            NotificationKinds.DrillFailureAlert, (from, to) => DrillEmails.FailureAlert(from, to, failure), context.CancellationToken);
        if (result.SentNow > 0) Log.DrillAlertSent(logger, failure.RunId, failure.ErrorCode);
    }

    public async Task Consume(ConsumeContext<BackupVerified> context)
    {
        var verified = context.Message;
        if (!DrillEmails.OverTarget(verified)) return;
        using var scope = logger.BeginRunScope(verified.RunId);
        var result = await delivery.AlertAdministratorsAsync("send drill over-target warning", verified.RunId, verified.Source,
            NotificationKinds.DrillRtoWarning, (from, to) => DrillEmails.OverTargetWarning(from, to, verified), context.CancellationToken);
        if (result.SentNow > 0) Log.DrillOverTargetSent(logger, verified.RunId, verified.RecoveryTimeSeconds, verified.RtoTargetSeconds);
    }
}
