using System.Diagnostics;
using Backup.Database;
using Backup.Database.Retention;
using Backup.Retention.Options;
using Backup.Retention.Policy;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Retention.Cleanup;

/// <summary>What one sweep did: runs expired, deletes the store refused (tried again next time), runs kept because a restore reads them, orphans and leftovers removed.</summary>
public sealed record SweepReport(bool Skipped, int Expired, int Failed, int RestoresWaitedFor, int Orphans, int Leftovers)
{
    public static SweepReport Busy { get; } = new(true, 0, 0, 0, 0, 0);
}

/// <summary>
/// Carries out the <see cref="RetentionPlan"/>, one sweep at a time across instances (<see cref="SweepLock"/>): each
/// run the plan deletes is first marked pending deletion (unless a restore job names its artifact), then every
/// pending deletion is completed through <see cref="ArtifactDeletions"/>: the store deletes the artifact and its
/// manifest, and BackupExpired goes to the catalog's outbox in the transaction that records it. A store that refuses
/// leaves the run pending for the next sweep; the catalog never calls Expired an artifact that still exists. Then
/// orphans and leftovers of interrupted writes (<see cref="OrphanCleanup"/>). Running it again changes nothing.
/// </summary>
public sealed class RetentionSweep(
    CatalogDbContext catalog,
    IArtifactStore store,
    OrphanCleanup orphans,
    IOptions<RetentionPolicyOptions> policy,
    IOptions<RetentionOptions> options,
    RetentionMetrics metrics,
    TimeProvider clock,
    ILogger<RetentionSweep> logger)
{
    public const string Requester = "retention";

    public async Task<SweepReport> RunAsync(CancellationToken cancellationToken)
    {
        await using var sweepLock = await SweepLock.TryTakeAsync(catalog, cancellationToken);
        if (sweepLock is null)
        {
            Log.SweepBusy(logger);
            return SweepReport.Busy;
        }

        var stopwatch = Stopwatch.StartNew();
        var completed = false;
        try
        {
            var report = await SweepAsync(cancellationToken);
            completed = true;
            return report;
        }
        finally
        {
            metrics.SweepEnded(completed, stopwatch.Elapsed);
        }
    }

    async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var plan = await RetentionPlan.LoadAsync(catalog, now, policy.Value, cancellationToken);
        // Due but kept because a restore job names it: seen by the plan, or found under the artifact's lock when marking.
        var waited = 0;
        foreach (var reading in plan.Backups.Where(b => b.Decision.Code == RetentionCodes.Restore))
        {
            waited++;
            Log.RestoreInProgress(logger, reading.RunId, reading.ArtifactKey);
        }
        foreach (var due in plan.ToDelete.Where(b => b.Decision.Code != RetentionCodes.Pending))
        {
            var outcome = await ArtifactDeletions.MarkAsync(catalog, new ArtifactDeletion
            {
                RunId = due.RunId,
                Source = due.Source,
                ArtifactKey = due.ArtifactKey,
                CompletedAt = due.Decision.Backup.CompletedAt,
                ReasonCode = due.Decision.Code,
                Reason = due.Decision.Reason,
                RequestedBy = Requester,
                RequestedAt = now,
            }, cancellationToken);
            catalog.ChangeTracker.Clear();
            if (outcome == MarkOutcome.RestoreInProgress)
            {
                waited++;
                Log.RestoreInProgress(logger, due.RunId, due.ArtifactKey);
            }
        }

        var (expired, failed) = await CompletePendingAsync(cancellationToken);
        var orphaned = await orphans.RemoveOrphansAsync(options.Value.OrphanMinAge, cancellationToken);
        var leftovers = await store.RemoveLeftoversAsync(options.Value.OrphanMinAge, cancellationToken);
        foreach (var leftover in leftovers)
            Log.LeftoverRemoved(logger, leftover);

        Log.SweepDone(logger, expired, failed, waited, orphaned, leftovers.Count);
        return new SweepReport(false, expired, failed, waited, orphaned, leftovers.Count);
    }

    /// <summary>Every pending deletion, this sweep's and those earlier sweeps (or the API) could not finish.</summary>
    async Task<(int Expired, int Failed)> CompletePendingAsync(CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(cancellationToken);
        int expired = 0, failed = 0;
        foreach (var (runId, source, reasonCode) in pending)
        {
            var (outcome, failure) = await ArtifactDeletions.CompleteAsync(catalog, runId, DeleteFromStoreAsync, clock, cancellationToken);
            catalog.ChangeTracker.Clear();
            if (outcome == CompleteOutcome.Deleted)
            {
                expired++;
                Log.ArtifactDeleted(logger, runId);
                metrics.Deleted(source, reasonCode);
            }
            else if (outcome == CompleteOutcome.StoreFailed)
            {
                failed++;
                Log.DeleteFailed(logger, runId, failure!);
                metrics.DeleteFailed(source);
            }
        }
        return (expired, failed);
    }

    async Task<List<(Guid RunId, string Source, string ReasonCode)>> PendingAsync(CancellationToken cancellationToken) =>
        (await catalog.ArtifactDeletions.Where(d => d.DeletedAt == null).OrderBy(d => d.RequestedAt)
            .Select(d => new { d.RunId, d.Source, d.ReasonCode }).ToListAsync(cancellationToken))
        .ConvertAll(d => (d.RunId, d.Source, d.ReasonCode));

    async Task DeleteFromStoreAsync(string artifactKey, CancellationToken cancellationToken)
    {
        // The key was the catalog's, made by the dumper; one of another shape is never turned into a path.
        if (!ArtifactKey.TryParse(artifactKey, out var key))
            throw new InvalidOperationException("The artifact key is not one this service makes; delete it by hand.");
        await store.DeleteAsync(key, cancellationToken);
    }
}
