using Backup.Contracts;
using Backup.Notifier.Alerts;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// On BackupFailed, posts the alert to every configured webhook (Notifier:Webhooks). At least once: a webhook that
/// fails makes the event be tried again, and then the others receive it again too.
/// </summary>
public sealed class PostFailureWebhooksConsumer(WebhookPoster webhooks, ILogger<PostFailureWebhooksConsumer> logger) : IConsumer<BackupFailed>
{
    public async Task Consume(ConsumeContext<BackupFailed> context)
    {
        if (!webhooks.AnyConfigured) return;
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        var firstCheck = BackupEmails.FirstCheck(failure.ErrorCode, failure.Source);
        await webhooks.PostAsync(new Alert
        {
            Kind = "backup.failed",
            Source = failure.Source,
            RunId = failure.RunId,
            At = failure.FailedAt,
            Title = $"Backup of {failure.Source} FAILED ({failure.ErrorCode})",
            Text = $"Run {failure.RunId} failed at {BackupEmails.Time(failure.FailedAt)}: {failure.Reason}\nFirst thing to check: {firstCheck}",
            ErrorCode = failure.ErrorCode,
            Reason = failure.Reason,
            FirstCheck = firstCheck,
        }, context.CancellationToken);
    }
}
