using System.Globalization;
using Backup.Database;
using Backup.Database.Retention;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;

namespace Backup.Retention.Cleanup;

/// <summary>
/// Removes orphans: artifacts (and their manifests) in the store whose run the catalog has never heard of, once
/// older than Retention:OrphanMinAge (a day unless configured; the age is the manifest's completion time, else the
/// time in the key), so a dump whose events haven't reached the catalog yet is never taken. Each is deleted under
/// the artifact's advisory lock, and not while a restore job names it. Each removal is logged (event 3006).
/// </summary>
public sealed class OrphanCleanup(CatalogDbContext catalog, IArtifactStore store, RetentionMetrics metrics, TimeProvider clock,
    ILogger<OrphanCleanup> logger)
{
    public async Task<int> RemoveOrphansAsync(TimeSpan minAge, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - minAge;
        var removed = 0;
        var known = (await catalog.BackupRuns.Select(r => r.CorrelationId).ToListAsync(cancellationToken)).ToHashSet();
        await foreach (var key in store.ListAsync(cancellationToken))
        {
            var runId = RunIdOf(key);
            if (TimeOf(key) > cutoff || known.Contains(runId)) continue;
            var manifest = await store.ReadManifestAsync(key, cancellationToken);
            if (manifest is not null && manifest.CompletedAt > cutoff) continue;
            if (await RemoveAsync(key, runId, cancellationToken))
            {
                removed++;
                Log.OrphanRemoved(logger, key.Value);
                metrics.Deleted(key.Source, RetentionMetrics.Orphan);
            }
        }
        return removed;
    }

    async Task<bool> RemoveAsync(ArtifactKey key, Guid runId, CancellationToken cancellationToken)
    {
        await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
        await catalog.Database.ExecuteSqlAsync(
            $"SELECT pg_advisory_xact_lock(hashtextextended('artifact:' || {key.Value}, 0))", cancellationToken);
        // Checked again under the lock: a run that arrived meanwhile, or a restore that started, keeps it.
        if (await KnownAsync(runId, cancellationToken) || await ArtifactDeletions.RestoreReadingAsync(catalog, key.Value, cancellationToken))
            return false;
        await store.DeleteAsync(key, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    Task<bool> KnownAsync(Guid runId, CancellationToken cancellationToken) =>
        catalog.BackupRuns.AnyAsync(r => r.CorrelationId == runId, cancellationToken);

    /// <summary>The run id in the key: "…Z-&lt;32 hex&gt;.dump…".</summary>
    static Guid RunIdOf(ArtifactKey key) => Guid.ParseExact(key.Stem[(key.Stem.LastIndexOf('-') + 1)..], "N");

    /// <summary>The time in the key (UTC, to the second): when the dump began.</summary>
    static DateTimeOffset TimeOf(ArtifactKey key) => DateTimeOffset.ParseExact(
        key.Stem[(key.Stem.LastIndexOf('/') + 1)..key.Stem.LastIndexOf('-')], "yyyyMMdd'T'HHmmss'Z'",
        CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
