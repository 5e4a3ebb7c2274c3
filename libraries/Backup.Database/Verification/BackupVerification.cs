namespace Backup.Database.Verification;

/// <summary>
/// Whether a run's backup has been proven restorable by a restore drill: a fact of its own beside the run's state
/// (a Completed run may be pending, passed, failed or skipped). Written only by the catalog's
/// <c>BackupVerificationRecorder</c>, from the drill's events; one row per run that a drill service looked at.
/// </summary>
public sealed class BackupVerification
{
    public Guid RunId { get; set; }
    public required string Source { get; set; }
    public required string ArtifactKey { get; set; }

    /// <summary><see cref="VerificationStates"/>.</summary>
    public required string State { get; set; }

    public DateTimeOffset? QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the drill passed or failed, or when the backup was skipped.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The measured recovery time: the whole drill, fetch to last check.</summary>
    public double? RecoverySeconds { get; set; }

    /// <summary>The source's recovery time objective the drill was measured against.</summary>
    public double? RtoTargetSeconds { get; set; }

    /// <summary>Failed: the first failure's code (Backup.Contracts.VerificationErrorCodes).</summary>
    public string? ErrorCode { get; set; }

    /// <summary>Failed: what failed, in words; skipped: why no drill ran.</summary>
    public string? Reason { get; set; }

    /// <summary>JSON: every failed proof, one string each.</summary>
    public string? Failures { get; set; }

    /// <summary>JSON: the drill's steps ([{"name","seconds"}]).</summary>
    public string? Steps { get; set; }

    /// <summary>JSON: per table, expected and restored rows ([{"schema","name","expectedRows","restoredRows"}]).</summary>
    public string? Tables { get; set; }

    /// <summary>JSON: the source's checks ([{"name","passed","detail"}]).</summary>
    public string? Checks { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public static class VerificationStates
{
    /// <summary>A drill was accepted and has not ended yet.</summary>
    public const string Pending = "pending";

    /// <summary>The drill proved the backup restorable.</summary>
    public const string Passed = "passed";

    /// <summary>The drill failed: the backup is not proven, and never counts as good.</summary>
    public const string Failed = "failed";

    /// <summary>No drill for this backup (the source's drill interval), with the reason.</summary>
    public const string Skipped = "skipped";
}
