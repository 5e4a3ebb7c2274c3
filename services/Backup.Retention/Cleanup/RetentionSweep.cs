using Backup.Catalog.Data;
using Backup.Catalog.Data.Retention;
using Backup.Contracts;
using Backup.Storage;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Retention.Cleanup;

/// <summary>
/// Deletes the artifacts <see cref="RetentionPlan"/> finds due (runs older than Retention:MaxAge) and publishes BackupExpired for each, which moves the
/// run to Expired in the catalog. The newest successful run of every source is kept whatever its age, so a source
/// never loses its last good backup. The artifact is deleted before the event is published: the catalog never says
/// Expired for an artifact that still exists. Running it twice is harmless.
/// </summary>
public sealed class RetentionSweep(
    CatalogDbContext catalog,
    IArtifactStore store,
    IPublishEndpoint publish,
    IOptions<RetentionPolicyOptions> policy,
    TimeProvider clock,
    ILogger<RetentionSweep> logger)
{
    public async Task<IReadOnlyList<Guid>> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - policy.Value.MaxAge;
        var expired = await RetentionPlan.DueAsync(catalog, now, policy.Value, cancellationToken);

        var done = new List<Guid>();
        foreach (var run in expired)
        {
            if (!ArtifactKey.TryParse(run.ArtifactKey, out var key))
            {
                Log.UnusableKey(logger, run.RunId);
                continue;
            }
            await store.DeleteAsync(key, cancellationToken);
            await publish.Publish(new BackupExpired
            {
                RunId = run.RunId,
                Source = run.Source,
                ExpiredAt = now,
                ArtifactKey = key.Value,
                Reason = run.Reason,
            }, cancellationToken);
            done.Add(run.RunId);
        }

        Log.SweepDone(logger, done.Count, cutoff);

        // What interrupted writes left (hidden ".partial-" files) is never taken for a backup; after a day it can't
        // belong to a dump still running either.
        foreach (var leftover in await store.RemoveLeftoversAsync(TimeSpan.FromDays(1), cancellationToken))
            Log.LeftoverRemoved(logger, leftover);
        return done;
    }
}
