using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>On BackupFailed (TimedOut included), sends an urgent alert email to the source's administrators, once.</summary>
public sealed class SendFailureAlertConsumer(
    MailDelivery delivery,
    ILogger<SendFailureAlertConsumer> logger) : IConsumer<BackupFailed>
{
    public async Task Consume(ConsumeContext<BackupFailed> context)
    {
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        var result = await delivery.AlertAdministratorsAsync("send failure alert", failure.RunId, failure.Source, NotificationKinds.FailureAlert,
            (from, to) => BackupEmails.FailureAlert(from, to, failure), context.CancellationToken);
        if (result.SentNow > 0) Log.AlertSent(logger, failure.RunId, failure.ErrorCode);
    }
}
