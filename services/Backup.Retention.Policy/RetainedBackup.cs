namespace Backup.Retention.Policy;

/// <summary>
/// One backup as retention sees it: its run, source and completion time, whether it succeeded (only a successful
/// run has an artifact to delete or counts towards the floor and the calendar rules), whether a restore is reading
/// it now, and, when its deletion has already been decided (by an earlier sweep or by hand), why.
/// </summary>
public sealed record RetainedBackup(
    Guid RunId,
    string Source,
    DateTimeOffset CompletedAt,
    bool Successful = true,
    bool RestoreInProgress = false,
    string? PendingDeletion = null);
