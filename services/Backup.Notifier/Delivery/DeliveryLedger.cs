using Backup.Database;
using Backup.Database.Notifications;
using Backup.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Backup.Notifier.Delivery;

/// <summary>What a claim found: whom this notifier may send to now, and the recipients already settled.</summary>
public sealed record DeliveryClaim(IReadOnlyList<string> Claimed, IReadOnlyList<string> Sent, IReadOnlyList<string> Unknown, bool Busy);

/// <summary>
/// The <c>notification_deliveries</c> table: at most one send per (run, recipient, kind). A claim is one short
/// transaction: insert the missing rows (<c>ON CONFLICT DO NOTHING</c>), lock the rows (<c>FOR UPDATE</c>), and
/// move each pending or failed one to sending under this process's name. Outcomes are recorded only on rows this
/// process still holds. A row left sending for longer than Notifier:SendingTimeout belonged to a notifier that died
/// mid-send; as nobody knows whether its message went out, it becomes unknown.
/// </summary>
public sealed class DeliveryLedger(IServiceScopeFactory scopes, TimeProvider clock, ILogger<DeliveryLedger> logger)
{
    /// <summary>This process, as the holder of its claims (<see cref="ClaimHolder"/>).</summary>
    public static readonly string Holder = ClaimHolder.New();

    public async Task<DeliveryClaim> ClaimAsync(Guid runId, string source, string kind, IReadOnlyList<string> recipients,
        TimeSpan sendingTimeout, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var addresses = recipients.ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO notification_deliveries (run_id, recipient, kind, source, state, attempts, created_at, updated_at)
            SELECT {runId}, r, {kind}, {source}, {NotificationStates.Pending}, 0, {now}, {now} FROM unnest({addresses}) AS r
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        var rows = await db.NotificationDeliveries.FromSql($"""
            SELECT * FROM notification_deliveries
            WHERE run_id = {runId} AND kind = {kind} AND recipient = ANY({addresses})
            FOR UPDATE
            """).AsTracking().ToListAsync(cancellationToken);

        var (claimed, sent, unknown, busy) = (new List<string>(), new List<string>(), new List<string>(), false);
        var abandoned = new List<(string Holder, DateTimeOffset ClaimedAt)>();
        foreach (var row in rows)
        {
            switch (row.State)
            {
                case NotificationStates.Sent:
                    sent.Add(row.Recipient);
                    break;
                case NotificationStates.Unknown:
                    unknown.Add(row.Recipient);
                    break;
                case NotificationStates.Sending when row.UpdatedAt > now - sendingTimeout:
                    busy = true;
                    break;
                case NotificationStates.Sending:
                    abandoned.Add((row.ClaimedBy ?? "?", row.UpdatedAt));
                    (row.State, row.UpdatedAt, row.LastError) = (NotificationStates.Unknown, now,
                        $"the notifier {row.ClaimedBy} claimed it at {row.UpdatedAt:u} and recorded no outcome within {sendingTimeout}: it may have been sent");
                    unknown.Add(row.Recipient);
                    break;
                default:
                    (row.State, row.ClaimedBy, row.UpdatedAt) = (NotificationStates.Sending, Holder, now);
                    row.Attempts++;
                    claimed.Add(row.Recipient);
                    break;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var claim in abandoned.GroupBy(a => a))
            Log.SendingAbandoned(logger, kind, runId, claim.Count(), claim.Key.Holder, claim.Key.ClaimedAt, sendingTimeout);
        return new DeliveryClaim(claimed, sent, unknown, busy);
    }

    public Task RecordSentAsync(Guid runId, string kind, IReadOnlyList<string> recipients) =>
        RecordAsync(runId, kind, recipients, NotificationStates.Sent, null);

    public Task RecordFailedAsync(Guid runId, string kind, IReadOnlyList<string> recipients, string error) =>
        RecordAsync(runId, kind, recipients, NotificationStates.Failed, error);

    public Task RecordUnknownAsync(Guid runId, string kind, IReadOnlyList<string> recipients, string error) =>
        RecordAsync(runId, kind, recipients, NotificationStates.Unknown, error);

    // Not cancellable: an outcome that happened must be written down even while the host stops.
    async Task RecordAsync(Guid runId, string kind, IReadOnlyList<string> recipients, string state, string? error)
    {
        var now = Now();
        var addresses = recipients.ToArray();
        var clipped = error is null ? null : error.Length <= 2000 ? error : error[..2000];
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await db.NotificationDeliveries
            .Where(d => d.RunId == runId && d.Kind == kind && addresses.Contains(d.Recipient)
                        && d.State == NotificationStates.Sending && d.ClaimedBy == Holder)
            .ExecuteUpdateAsync(set => set
                .SetProperty(d => d.State, state)
                .SetProperty(d => d.UpdatedAt, now)
                .SetProperty(d => d.SentAt, d => state == NotificationStates.Sent ? now : d.SentAt)
                .SetProperty(d => d.LastError, clipped), CancellationToken.None);
    }

    DateTimeOffset Now() => clock.GetUtcNow().ToPostgresPrecision();
}
