namespace Backup.Retention.Policy;

/// <summary>
/// One backup as retention sees it: its run, source and completion time, whether it succeeded (only a successful
/// run has an artifact to delete or counts towards the floor and the calendar rules), whether a restore is reading
/// it now, when its deletion has already been decided (by an earlier sweep or by hand) why, and what restore drills
/// proved of it (<see cref="Drill"/>, and <see cref="DrillError"/>, the failed drill's error code); the last only matters where drills
/// are on for its source (<see cref="RetentionRules.DrillsOn"/>).
/// </summary>
public sealed record RetainedBackup(
    Guid RunId,
    string Source,
    DateTimeOffset CompletedAt,
    bool Successful = true,
    bool RestoreInProgress = false,
    string? PendingDeletion = null,
    DrillOutcome Drill = DrillOutcome.None,
    string? DrillError = null);

/// <summary>What restore drills proved of a backup (the catalog's backup_verifications.state; none without a row).</summary>
public enum DrillOutcome
{
    /// <summary>No drill has looked at it (a backup from before drills were on, or one not yet queued).</summary>
    None,

    /// <summary>A drill was accepted and has not ended.</summary>
    Pending,

    /// <summary>No drill for it (the source's drill interval).</summary>
    Skipped,

    /// <summary>Its drill proved it restorable: verified.</summary>
    Passed,

    /// <summary>Its drill failed: where drills are on, it never counts as good.</summary>
    Failed,
}
