using Backup.Contracts;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Consumers;

/// <summary>
/// On BackupCompleted, emails the artifact to the administrators and publishes BackupDelivered. A send that fails
/// is retried by the endpoint; when the last attempt fails, BackupDeliveryFailed is published and the event goes to
/// the error queue, where it can be moved back once mail works again.
/// </summary>
public sealed class SendBackupEmailConsumer(
    IOptions<NotifierOptions> options,
    IMailSender mail,
    IArtifactStore store,
    TimeProvider clock,
    ILogger<SendBackupEmailConsumer> logger) : IConsumer<BackupCompleted>
{
    public async Task Consume(ConsumeContext<BackupCompleted> context)
    {
        var backup = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = backup.RunId });
        if (!ArtifactKey.TryParse(backup.ArtifactKey, out var key) || key.Source != backup.Source)
        {
            Log.UnusableArtifactKey(logger, backup.RunId);
            await PublishDeliveryFailed(context, "The event's artifact key was not made by this service; nothing was sent.");
            return;
        }

        using var activity = NotifierTelemetry.Source.StartActivity("send backup email");
        activity?.SetTag("backup.run_id", backup.RunId);
        activity?.SetTag("backup.size_bytes", backup.SizeBytes);
        try
        {
            await using var artifact = await store.OpenReadAsync(key, context.CancellationToken);
            var message = BackupEmails.Completed(options.Value.From, options.Value.Administrators, backup, key.FileName, artifact);
            await mail.SendAsync(message, context.CancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && NotifierRetry.IsLastAttempt(context))
        {
            Log.DeliveryFailed(logger, backup.RunId, e.GetType().Name);
            await PublishDeliveryFailed(context, $"Sending the backup email failed after {NotifierRetry.Attempts} attempts: {e.Message}");
            throw;
        }

        Log.Delivered(logger, backup.RunId, options.Value.Administrators.Length, mail.Channel);
        await context.Publish(new BackupDelivered
        {
            RunId = backup.RunId,
            Source = backup.Source,
            DeliveredAt = clock.GetUtcNow(),
            RecipientCount = options.Value.Administrators.Length,
            Channel = mail.Channel,
        });
    }

    Task PublishDeliveryFailed(ConsumeContext<BackupCompleted> context, string reason) =>
        context.Publish(new BackupDeliveryFailed
        {
            RunId = context.Message.RunId,
            Source = context.Message.Source,
            FailedAt = clock.GetUtcNow(),
            Reason = reason,
        });
}
