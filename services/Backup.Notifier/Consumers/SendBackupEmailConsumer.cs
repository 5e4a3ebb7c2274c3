using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Drills;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.Storage;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// On BackupCompleted, emails the backup to the source's administrators once (<see cref="MailDelivery"/>): its facts,
/// its tables and row counts from the manifest, whether it is verified by a restore drill (or pending, with the source's
/// last verified backup), how to restore it, and the artifact attached when it is at most
/// Notifier:MaxAttachmentBytes (and encrypted, with Notifier:RequireEncryptedAttachments), else a download link.
/// Publishes BackupDelivered once every recipient has it, BackupDeliveryFailed when the outcome is unknown, when the
/// server refuses it, or when the event's retries are spent (the event then goes back to the broker).
/// </summary>
public sealed class SendBackupEmailConsumer(
    IOptions<NotifierOptions> options,
    MailDelivery delivery,
    IArtifactStore store,
    DrillFacts drills,
    TimeProvider clock,
    ILogger<SendBackupEmailConsumer> logger) : IConsumer<BackupCompleted>
{
    public async Task Consume(ConsumeContext<BackupCompleted> context)
    {
        var backup = context.Message;
        using var scope = logger.BeginRunScope(backup.RunId);
        if (!ArtifactKey.TryParse(backup.ArtifactKey, out var key) || key.Source != backup.Source)
        {
            Log.UnusableArtifactKey(logger, backup.RunId);
            await PublishDeliveryFailed(context, "The event's artifact key was not made by this service; nothing was sent.");
            return;
        }

        using var activity = NotifierTelemetry.Source.StartActivity("send backup email");
        activity?.SetTag("backup.run_id", backup.RunId);
        activity?.SetTag("backup.size_bytes", backup.SizeBytes);
        var notifier = options.Value;
        DeliveryResult result;
        try
        {
            result = await delivery.DeliverAsync(backup.RunId, backup.Source, NotificationKinds.Backup, notifier.AdministratorsOf(backup.Source),
                (to, token) => ComposeAsync(backup, key, to, token), context.CancellationToken);
        }
        catch (MailRefusedException e)
        {
            Log.DeliveryFailed(logger, backup.RunId, e.GetType().Name);
            await PublishDeliveryFailed(context, $"The mail server refused the backup email: {e.Message}");
            throw; // to send-backup-email_error: sending it again would be refused again
        }
        catch (Exception e) when (e is not OperationCanceledException && NotifierRetry.IsLastAttempt(context, e, notifier)
                                  && !NotifierRetry.CameRoundAgain(context))
        {
            Log.DeliveryFailed(logger, backup.RunId, e.GetType().Name);
            await PublishDeliveryFailed(context, NotifierRetry.RetriedInCall(e)
                ? $"Sending the backup email failed ({e.GetType().Name}: {e.Message}); the event went back to the broker and is tried again."
                : $"Sending the backup email failed after {notifier.EffectiveRetryDelays.Count + 1} attempts ({e.GetType().Name}: {e.Message}); " +
                  "the event went back to the broker and is tried again.");
            throw;
        }

        if (result.Unknown.Count > 0)
        {
            await PublishDeliveryFailed(context,
                $"The outcome of the backup email to {result.Unknown.Count} recipient(s) is unknown: the mail server's connection failed " +
                "after the message was transmitted, or the notifier sending it stopped mid-send (Notifier:SendingTimeout). " +
                "It is not sent again; the administrators were alerted.");
            return;
        }

        Log.Delivered(logger, backup.RunId, result.Sent.Count, delivery.Channel);
        await context.Publish(new BackupDelivered
        {
            RunId = backup.RunId,
            Source = backup.Source,
            DeliveredAt = clock.GetUtcNow(),
            RecipientCount = result.Sent.Count,
            Channel = delivery.Channel,
        });
    }

    async Task<MimeMessage> ComposeAsync(BackupCompleted backup, ArtifactKey key, IReadOnlyList<string> to, CancellationToken cancellationToken)
    {
        var notifier = options.Value;
        var manifest = await store.ReadManifestAsync(key, cancellationToken);
        var encrypted = manifest?.Encryption is not null && key.Encoding == ArtifactEncoding.ZstdOpenPgp;
        var notAttachedBecause =
            backup.SizeBytes > notifier.MaxAttachmentBytes
                ? $"it is {BackupEmails.Size(backup.SizeBytes)}, over the attachment limit of {BackupEmails.Size(notifier.MaxAttachmentBytes)} (Notifier:MaxAttachmentBytes)."
            : notifier.RequireEncryptedAttachments && !encrypted
                ? "it is not encrypted, and Notifier:RequireEncryptedAttachments keeps plaintext backups out of email."
            : null;
        var downloadUrl = notifier.ApiBaseUrl.Length > 0 ? $"{notifier.ApiBaseUrl.TrimEnd('/')}/api/v1/runs/{backup.RunId}/artifact" : null;
        var verification = await drills.OfBackupAsync(backup.RunId, backup.Source, cancellationToken);
        var attachment = notAttachedBecause is null ? await OpenAttachmentAsync(key, cancellationToken) : null;
        return BackupEmails.Completed(notifier.From, to,
            new BackupMailContent(backup, key, manifest, store.Location, attachment, downloadUrl, notAttachedBecause, verification));
    }

    // MailKit may read the content more than once (a retried send): a stream that can't seek is buffered (it is under the cap).
    async Task<Stream> OpenAttachmentAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var artifact = await store.OpenReadAsync(key, cancellationToken);
        if (artifact.CanSeek) return artifact;
        await using (artifact)
        {
            var buffer = new MemoryStream();
            await artifact.CopyToAsync(buffer, cancellationToken);
            buffer.Position = 0;
            return buffer;
        }
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
