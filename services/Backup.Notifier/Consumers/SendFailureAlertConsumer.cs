using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Consumers;

/// <summary>On BackupFailed (TimedOut included), sends an urgent alert email to the source's administrators, once.</summary>
public sealed class SendFailureAlertConsumer(
    IOptions<NotifierOptions> options,
    MailDelivery delivery,
    ILogger<SendFailureAlertConsumer> logger) : IConsumer<BackupFailed>
{
    public async Task Consume(ConsumeContext<BackupFailed> context)
    {
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        using var activity = NotifierTelemetry.Source.StartActivity("send failure alert");
        activity?.SetTag("backup.run_id", failure.RunId);
        var from = options.Value.From;
        var result = await delivery.DeliverAsync(failure.RunId, failure.Source, NotificationKinds.FailureAlert,
            options.Value.AdministratorsOf(failure.Source),
            (to, _) => Task.FromResult(BackupEmails.FailureAlert(from, to, failure)), context.CancellationToken);
        if (result.SentNow > 0) Log.AlertSent(logger, failure.RunId, failure.ErrorCode);
    }
}
