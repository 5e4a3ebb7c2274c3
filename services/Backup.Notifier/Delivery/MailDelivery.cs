using Backup.ServiceDefaults;
using Backup.Database.Notifications;
using Backup.Notifier.Alerts;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Backup.Notifier.Delivery;

/// <summary>How a delivery stands after <see cref="MailDelivery.DeliverAsync"/>: every recipient is sent or unknown.</summary>
public sealed record DeliveryResult(IReadOnlyList<string> Sent, IReadOnlyList<string> Unknown, int SentNow);

/// <summary>A notifier elsewhere is sending this delivery right now; the event is tried again later.</summary>
public sealed class DeliveryInProgressException(string message) : Exception(message);

/// <summary>
/// Sends one kind of email of one run to its recipients exactly once each, through <see cref="DeliveryLedger"/>:
/// claim the recipients not yet settled, send one message to them, record the outcome. A failure that certainly
/// did not deliver is recorded failed and thrown (the event is retried, unless it was a refusal); recipients the
/// server refused for good are recorded failed with its reply, the others sent, and then
/// <see cref="MailRefusedException"/> is thrown (final: not retried); an unknown outcome is recorded unknown,
/// never resent, and alerted once: an outcome-unknown email to the source's administrators (itself recorded in the
/// ledger) and the webhooks.
/// </summary>
public sealed class MailDelivery(
    DeliveryLedger ledger,
    IMailSender mail,
    WebhookPoster webhooks,
    IOptions<NotifierOptions> options,
    TimeProvider clock,
    ILogger<MailDelivery> logger)
{
    public string Channel => mail.Channel;

    public async Task<DeliveryResult> DeliverAsync(Guid runId, string source, string kind, IReadOnlyList<string> recipients,
        Func<IReadOnlyList<string>, CancellationToken, Task<MimeMessage>> compose, CancellationToken cancellationToken)
    {
        var claim = await ledger.ClaimAsync(runId, source, kind, recipients, options.Value.SendingTimeout, cancellationToken);
        var sent = claim.Sent.ToList();
        var unknown = claim.Unknown.ToList();
        IReadOnlyDictionary<string, string> refused = new Dictionary<string, string>();
        if (claim.Claimed.Count > 0)
        {
            using var activity = NotifierTelemetry.Source.StartActivity("send email");
            activity?.SetTag("backup.run_id", runId);
            activity?.SetTag("backup.source", source);
            activity?.SetTag("backup.notification_kind", kind);
            activity?.SetTag("backup.recipients", claim.Claimed.Count);
            try
            {
                using var message = await compose(claim.Claimed, cancellationToken);
                refused = await mail.SendAsync(message, cancellationToken);
                activity?.SetTag("backup.outcome", refused.Count == 0 ? NotificationStates.Sent : "partly refused");
                if (refused.Count > 0)
                    activity.RecordFailure("RecipientRefused", $"The mail server refused {refused.Count} recipient(s): {string.Join("; ", refused.Values.Distinct())}");
            }
            catch (MailOutcomeUnknownException e)
            {
                activity?.SetTag("backup.outcome", NotificationStates.Unknown);
                activity.RecordException(e);
                await ledger.RecordUnknownAsync(runId, kind, claim.Claimed, e.Message);
                Log.OutcomeUnknown(logger, runId, kind, claim.Claimed.Count, e.Message);
                unknown.AddRange(claim.Claimed);
                claim = claim with { Claimed = [] };
            }
            catch (Exception e)
            {
                activity?.SetTag("backup.outcome", NotificationStates.Failed);
                activity.RecordException(e);
                await ledger.RecordFailedAsync(runId, kind, claim.Claimed, $"{e.GetType().Name}: {e.Message}");
                throw;
            }

            foreach (var (recipient, reply) in refused)
                await ledger.RecordFailedAsync(runId, kind, [recipient], $"The mail server refused this recipient: {reply}");
            claim = claim with { Claimed = claim.Claimed.Where(r => !refused.ContainsKey(r)).ToList() };
            if (claim.Claimed.Count > 0)
            {
                await ledger.RecordSentAsync(runId, kind, claim.Claimed);
                sent.AddRange(claim.Claimed);
            }
        }

        if (unknown.Count > 0 && kind != NotificationKinds.OutcomeUnknownAlert)
            await AlertOutcomeUnknownAsync(runId, source, kind, cancellationToken);
        if (refused.Count > 0)
            throw new MailRefusedException(
                $"The mail server refused {refused.Count} recipient(s) for good: {string.Join("; ", refused.Values.Distinct())}; " +
                $"the {claim.Claimed.Count} other(s) got it.", null);
        if (claim.Busy)
            throw new DeliveryInProgressException($"Another notifier is sending the {kind} email of run {runId}; trying again later.");
        return new DeliveryResult(sent, unknown, claim.Claimed.Count);
    }

    /// <summary>
    /// An alert of one run to its source's administrators, once per recipient, in a span named <paramref name="activity"/>:
    /// <paramref name="compose"/> makes the email from the sender and the recipients still owed it.
    /// </summary>
    public async Task<DeliveryResult> AlertAdministratorsAsync(string activity, Guid runId, string source, string kind,
        Func<string, IReadOnlyList<string>, MimeMessage> compose, CancellationToken cancellationToken)
    {
        using var span = NotifierTelemetry.Source.StartActivity(activity);
        span?.SetTag("backup.run_id", runId);
        span?.SetTag("backup.source", source);
        var from = options.Value.From;
        return await DeliverAsync(runId, source, kind, options.Value.AdministratorsOf(source),
            (to, _) => Task.FromResult(compose(from, to)), cancellationToken);
    }

    // Once per run and kind (the ledger makes the alert email once); the webhooks are posted when the alert email is claimed.
    async Task AlertOutcomeUnknownAsync(Guid runId, string source, string kind, CancellationToken cancellationToken)
    {
        var from = options.Value.From;
        await DeliverAsync(runId, source, NotificationKinds.OutcomeUnknownAlert, options.Value.AdministratorsOf(source),
            async (recipients, token) =>
            {
                var error = $"recorded as unknown for {recipients.Count} recipient(s) at {BackupEmails.Time(clock.GetUtcNow())}";
                await webhooks.TryPostAsync(new Alert
                {
                    Kind = "delivery.unknown",
                    Source = source,
                    RunId = runId,
                    At = clock.GetUtcNow(),
                    Title = $"Backup: delivery of the {kind} email of {source} uncertain",
                    Text = BackupEmails.OutcomeUnknownText(source, runId, kind, error),
                }, token);
                return BackupEmails.OutcomeUnknown(from, recipients, source, runId, kind, error);
            }, cancellationToken);
    }
}
