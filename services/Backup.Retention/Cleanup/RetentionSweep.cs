using Backup.Catalog.Data;
using Backup.Contracts;
using Backup.Retention.Options;
using Backup.Storage;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Retention.Cleanup;

/// <summary>
/// Deletes the artifacts of runs older than Retention:MaxAge and publishes BackupExpired for each, which moves the
/// run to Expired in the catalog. The newest successful run of every source is kept whatever its age, so a source
/// never loses its last good backup. The artifact is deleted before the event is published: the catalog never says
/// Expired for an artifact that still exists. Running it twice is harmless.
/// </summary>
public sealed class RetentionSweep(
    CatalogDbContext catalog,
    IArtifactStore store,
    IPublishEndpoint publish,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<RetentionSweep> logger)
{
    public async Task<IReadOnlyList<Guid>> RunAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - options.Value.MaxAge;
        var successful = catalog.BackupRuns.AsNoTracking()
            .Where(r => BackupRunStates.WithArtifact.Contains(r.CurrentState) && r.CompletedAt != null);
        var expired = await successful
            .Where(r => r.CompletedAt < cutoff)
            .Where(r => successful.Any(newer => newer.Source == r.Source && newer.CompletedAt > r.CompletedAt))
            .OrderBy(r => r.CompletedAt)
            .Select(r => new { r.CorrelationId, r.Source, r.ArtifactKey, r.CompletedAt })
            .ToListAsync(cancellationToken);

        var done = new List<Guid>();
        foreach (var run in expired)
        {
            if (!ArtifactKey.TryParse(run.ArtifactKey, out var key))
            {
                Log.UnusableKey(logger, run.CorrelationId);
                continue;
            }
            await store.DeleteAsync(key, cancellationToken);
            await publish.Publish(new BackupExpired
            {
                RunId = run.CorrelationId,
                Source = run.Source,
                ExpiredAt = now,
                ArtifactKey = key.Value,
                Reason = $"age: completed {run.CompletedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}, older than {options.Value.MaxAge.TotalDays:0.#} days",
            }, cancellationToken);
            done.Add(run.CorrelationId);
        }

        Log.SweepDone(logger, done.Count, cutoff);

        // What interrupted writes left (hidden ".partial-" files) is never taken for a backup; after a day it can't
        // belong to a dump still running either.
        foreach (var leftover in await store.RemoveLeftoversAsync(TimeSpan.FromDays(1), cancellationToken))
            Log.LeftoverRemoved(logger, leftover);
        return done;
    }
}
