using Backup.Notifier.Alerts;
using Backup.Notifier.Options;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Delivery;

/// <summary>
/// Posts one kind of alert of one run to every configured webhook once each, through <see cref="DeliveryLedger"/> as
/// the emails are (each webhook's ledger row is "webhook:&lt;name&gt;"): a webhook that took the alert is not posted again
/// when the event is redelivered; one that failed is recorded failed and tried again with the event
/// (<see cref="AlertHttpException"/> is thrown after every claimed webhook was tried).
/// </summary>
public sealed class WebhookDelivery(DeliveryLedger ledger, WebhookPoster webhooks, IOptions<NotifierOptions> options)
{
    const string Prefix = "webhook:";

    public async Task PostOnceAsync(Guid runId, string source, string kind, Alert alert, CancellationToken cancellationToken)
    {
        var rows = options.Value.Webhooks.Keys.Select(name => Prefix + name).ToList();
        if (rows.Count == 0) return;
        var claim = await ledger.ClaimAsync(runId, source, kind, rows, options.Value.SendingTimeout, cancellationToken);
        var failures = new List<AlertHttpException>();
        foreach (var row in claim.Claimed)
        {
            try
            {
                await webhooks.PostToAsync(row[Prefix.Length..], alert, cancellationToken);
                await ledger.RecordSentAsync(runId, kind, [row]);
            }
            catch (AlertHttpException e)
            {
                await ledger.RecordFailedAsync(runId, kind, [row], e.Message);
                failures.Add(e);
            }
        }
        if (failures.Count > 0)
            throw new AlertHttpException(string.Join(" ", failures.Select(f => f.Message)), failures.Any(f => f.Transient), null);
        if (claim.Busy)
            throw new DeliveryInProgressException($"Another notifier is posting the {kind} webhooks of run {runId}; trying again later.");
    }
}
