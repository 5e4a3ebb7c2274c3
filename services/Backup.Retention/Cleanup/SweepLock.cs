using Backup.Database;
using Microsoft.EntityFrameworkCore;

namespace Backup.Retention.Cleanup;

/// <summary>
/// One sweep at a time across all retention instances: a session-level PostgreSQL advisory lock on the catalog
/// connection the sweep uses, released when the sweep ends (or when its connection drops with a dead process).
/// An instance that finds it taken skips its sweep; the one running covers it.
/// </summary>
public sealed class SweepLock : IAsyncDisposable
{
    const string Key = "SELECT hashtextextended('retention-sweep', 0)";
    readonly CatalogDbContext catalog;

    SweepLock(CatalogDbContext catalog) => this.catalog = catalog;

    /// <summary>The lock, or null when another instance is sweeping.</summary>
    public static async Task<SweepLock?> TryTakeAsync(CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        await catalog.Database.OpenConnectionAsync(cancellationToken);
        var taken = await catalog.Database.SqlQueryRaw<bool>($"SELECT pg_try_advisory_lock(({Key})) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (taken) return new SweepLock(catalog);
        await catalog.Database.CloseConnectionAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await catalog.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock(({Key}))");
        }
        finally
        {
            await catalog.Database.CloseConnectionAsync();
        }
    }
}
