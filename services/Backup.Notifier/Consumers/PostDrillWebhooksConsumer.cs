using Backup.Contracts;
using Backup.Notifier.Alerts;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// Restore drills to every configured webhook (Notifier:Webhooks): a failed drill (drill.failed), and a passed one over
/// its recovery time objective (drill.slow). At least once, like <see cref="PostFailureWebhooksConsumer"/>.
/// </summary>
public sealed class PostDrillWebhooksConsumer(WebhookPoster webhooks, ILogger<PostDrillWebhooksConsumer> logger) :
    IConsumer<BackupVerificationFailed>, IConsumer<BackupVerified>
{
    public async Task Consume(ConsumeContext<BackupVerificationFailed> context)
    {
        if (!webhooks.AnyConfigured) return;
        var failure = context.Message;
        using var scope = logger.BeginRunScope(failure.RunId);
        await webhooks.PostAsync(new Alert
        {
            Kind = "drill.failed",
            Source = failure.Source,
            RunId = failure.RunId,
            At = failure.FailedAt,
            Title = $"Restore drill of {failure.Source} FAILED ({failure.ErrorCode})",
            Text = DrillEmails.FailureText(failure),
            ErrorCode = failure.ErrorCode,
            Reason = failure.Reason,
            Failures = failure.Failures,
            FirstCheck = DrillEmails.FirstCheck(failure.ErrorCode, failure.Source),
        }, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<BackupVerified> context)
    {
        var verified = context.Message;
        if (!webhooks.AnyConfigured || !DrillEmails.OverTarget(verified)) return;
        using var scope = logger.BeginRunScope(verified.RunId);
        await webhooks.PostAsync(new Alert
        {
            Kind = "drill.slow",
            Source = verified.Source,
            RunId = verified.RunId,
            At = verified.VerifiedAt,
            Title = DrillEmails.OverTargetTitle(verified),
            Text = DrillEmails.OverTargetText(verified),
        }, context.CancellationToken);
    }
}
