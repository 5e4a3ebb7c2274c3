using Backup.ServiceDefaults;
using Backup.Database;
using Backup.Catalog.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.Outbox;

/// <summary>
/// Keeps outbox_messages from growing without bound: every Catalog:OutboxPurgeInterval it deletes the rows that were
/// sent more than Catalog:OutboxRetention ago, <see cref="BatchSize"/> rows per statement (each its own short
/// transaction, so a large backlog never holds one long one), until none is left. An unsent row is never deleted,
/// however old. Rows another instance is deleting at the same moment are skipped (FOR UPDATE SKIP LOCKED).
/// </summary>
public sealed partial class OutboxPurger(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<CatalogOptions> options,
    ILogger<OutboxPurger> logger) : PeriodicWork(clock)
{
    public const int BatchSize = 1000;

    readonly CatalogOptions catalog = options.Value;

    protected override TimeSpan Interval => catalog.OutboxPurgeInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => PurgeAsync(cancellationToken);

    protected override void Failed(Exception exception) => PurgeFailed(logger, exception); // the catalog database is away: again at the next tick

    /// <summary>Deletes every row sent before now minus Catalog:OutboxRetention, batch by batch; returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var sentBefore = Clock.GetUtcNow() - catalog.OutboxRetention;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var removed = 0;
        int batch;
        do
        {
            batch = await db.Database.ExecuteSqlAsync($"""
                DELETE FROM outbox_messages WHERE id IN (
                  SELECT id FROM outbox_messages
                  WHERE sent_at IS NOT NULL AND sent_at < {sentBefore}
                  ORDER BY id LIMIT {BatchSize}
                  FOR UPDATE SKIP LOCKED)
                """, cancellationToken);
            removed += batch;
        } while (batch == BatchSize);
        if (removed > 0)
            Purged(logger, removed, catalog.OutboxRetention);
        return removed;
    }

    [LoggerMessage(4205, LogLevel.Information, "Removed {Count} outbox message(s) sent more than {Retention} ago (Catalog:OutboxRetention)")]
    static partial void Purged(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(4206, LogLevel.Error, "Could not purge sent outbox messages; trying again at the next tick")]
    static partial void PurgeFailed(ILogger logger, Exception exception);
}
