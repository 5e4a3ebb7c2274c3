using Backup.Contracts;
using Backup.Database.Verification;
using Backup.Retention.Policy;
using Microsoft.EntityFrameworkCore;

namespace Backup.Database.Retention;

/// <summary>One decision of the plan, with the artifact it concerns.</summary>
public sealed record PlannedBackup(RetentionDecision Decision, string ArtifactKey)
{
    public Guid RunId => Decision.Backup.RunId;
    public string Source => Decision.Backup.Source;
}

/// <summary>
/// What retention does now, from the catalog: every successful run with an artifact (Completed, Delivered), the runs
/// pending deletion, and the artifacts unfinished restore jobs name, decided by <see cref="RetentionCalculator"/>
/// under <see cref="RetentionPolicyOptions"/>. Where a source has a drill_policies row (drills on, <see cref="DrilledSources"/>),
/// each run's verification (backup_verifications) decides whether it counts: see <see cref="RetentionCalculator"/>.
/// The retention sweep carries it out; the API's dry run shows it. Both load it the same way, so the dry run shows
/// exactly what a sweep now would do.
/// </summary>
public sealed record RetentionPlan(DateTimeOffset Now, IReadOnlyList<PlannedBackup> Backups, IReadOnlySet<string> DrilledSources)
{
    public IEnumerable<PlannedBackup> ToDelete => Backups.Where(b => !b.Decision.Keep);

    public static async Task<RetentionPlan> LoadAsync(CatalogDbContext catalog, DateTimeOffset now, RetentionPolicyOptions policy,
        CancellationToken cancellationToken)
    {
        var runs = await catalog.BackupRuns.AsNoTracking()
            .Where(r => BackupRunStates.WithArtifact.Contains(r.CurrentState) && r.CompletedAt != null && r.ArtifactKey != null)
            // Deleted already, its BackupExpired not yet through the saga: gone, so neither a candidate nor counted for the floor.
            .Where(r => !catalog.ArtifactDeletions.Any(d => d.RunId == r.CorrelationId && d.DeletedAt != null))
            // Its verification, as the catalog's recorder wrote it from the drill's events (no row: no drill looked at it).
            .GroupJoin(catalog.BackupVerifications.AsNoTracking(), r => r.CorrelationId, v => v.RunId, (r, v) => new { r, v })
            .SelectMany(x => x.v.DefaultIfEmpty(), (x, v) => new
            {
                x.r.CorrelationId, x.r.Source, x.r.ArtifactKey, x.r.CompletedAt, VerificationState = v == null ? null : v.State,
                DrillError = v == null ? null : v.ErrorCode,
            })
            .ToListAsync(cancellationToken);
        var drilled = (await catalog.DrillPolicies.AsNoTracking().Select(p => p.Source).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var pending = await catalog.ArtifactDeletions.AsNoTracking().Where(d => d.DeletedAt == null)
            .ToDictionaryAsync(d => d.RunId, cancellationToken);
        var restoring = await ArtifactDeletions.KeysBeingRestoredAsync(catalog, cancellationToken);

        var keys = new Dictionary<Guid, string>();
        var backups = new List<RetainedBackup>();
        foreach (var run in runs)
        {
            keys[run.CorrelationId] = run.ArtifactKey!;
            backups.Add(new RetainedBackup(run.CorrelationId, run.Source, run.CompletedAt!.Value,
                RestoreInProgress: restoring.Contains(run.ArtifactKey!),
                PendingDeletion: pending.GetValueOrDefault(run.CorrelationId)?.Reason,
                Drill: Drilled(run.VerificationState, run.DrillError), DrillError: run.DrillError));
        }
        // A deletion whose run is no longer listed as having an artifact is still carried through.
        foreach (var deletion in pending.Values.Where(d => !keys.ContainsKey(d.RunId)))
        {
            keys[deletion.RunId] = deletion.ArtifactKey;
            backups.Add(new RetainedBackup(deletion.RunId, deletion.Source, deletion.CompletedAt, PendingDeletion: deletion.Reason));
        }

        var decisions = RetentionCalculator.Decide(backups, source => policy.RulesFor(source) with { DrillsOn = drilled.Contains(source) },
            now, policy.Zone);
        return new RetentionPlan(now, [.. decisions.Select(d => new PlannedBackup(d, keys[d.Backup.RunId]))], drilled);
    }

    /// <summary>
    /// backup_verifications.state (<see cref="VerificationStates"/>) as the policy sees it; an unknown state proves
    /// nothing. A drill that failed because the drill server could not be reached, or whose workers kept dying, says
    /// nothing about the backup: it counts as unproven, not failed, so a drill server's outage never makes good
    /// backups deletable (its alert still goes out).
    /// </summary>
    static DrillOutcome Drilled(string? state, string? errorCode) => state switch
    {
        VerificationStates.Passed => DrillOutcome.Passed,
        VerificationStates.Failed when errorCode is VerificationErrorCodes.ConnectionFailed or VerificationErrorCodes.Interrupted => DrillOutcome.Pending,
        VerificationStates.Failed => DrillOutcome.Failed,
        VerificationStates.Pending => DrillOutcome.Pending,
        VerificationStates.Skipped => DrillOutcome.Skipped,
        _ => DrillOutcome.None,
    };
}
