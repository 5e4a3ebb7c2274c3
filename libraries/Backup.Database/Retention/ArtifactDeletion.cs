namespace Backup.Database.Retention;

/// <summary>
/// A run whose artifact is being deleted, or was (table artifact_deletions, one row per run). The row is written
/// before the store is touched and <see cref="DeletedAt"/> is set, with BackupExpired in the catalog's outbox, in
/// one transaction once the store has deleted the artifact: while <see cref="DeletedAt"/> is null the run is
/// "pending deletion" (its artifact may or may not still exist, no restore may start on it, and every sweep tries
/// the delete again); once it is set the artifact is gone and the run is, or is about to be, Expired.
/// </summary>
public sealed class ArtifactDeletion
{
    public Guid RunId { get; set; }
    public required string Source { get; set; }
    public required string ArtifactKey { get; set; }
    public DateTimeOffset CompletedAt { get; set; }

    /// <summary>What decided it: one of ExpiryReasonCodes (BackupExpired.ReasonCode).</summary>
    public required string ReasonCode { get; set; }

    /// <summary>Why, for people (BackupExpired.Reason), e.g. "gfs: … not the newest of week 2026-W40".</summary>
    public required string Reason { get; set; }

    /// <summary>"retention" for the sweep, the caller for a delete through the API.</summary>
    public required string RequestedBy { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    /// <summary>Store deletes tried; a failed one is tried again by the next sweep.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>Why the last store delete failed, for operators; null once one succeeded.</summary>
    public string? LastError { get; set; }

    /// <summary>When the store confirmed the artifact and its manifest gone; null while pending.</summary>
    public DateTimeOffset? DeletedAt { get; set; }
}
