using Backup.Contracts;

namespace Backup.Retention.Policy;

/// <summary>Keep or delete one backup, and why: <see cref="Code"/> is what decided it, <see cref="Reason"/> says it for people.</summary>
public sealed record RetentionDecision(RetainedBackup Backup, bool Keep, string Code, string Reason);

/// <summary>
/// The rule that decided a <see cref="RetentionDecision"/>. Those that delete are the wire values of BackupExpired.ReasonCode
/// (<see cref="ExpiryReasonCodes"/>).
/// </summary>
public static class RetentionCodes
{
    /// <summary>Kept: one of the newest good backups of its source (where drills are on: verified, or unproven while too few are verified).</summary>
    public const string Floor = "floor";

    /// <summary>
    /// Kept: drills are on, no backup of the source is verified or unproven (every one left failed its drill), and no
    /// other rule keeps any: the newest is kept, so that a source is never left without a backup.
    /// </summary>
    public const string LastResort = "last-resort";

    /// <summary>Kept: completed within the maximum age; deleted: older, and no calendar rule is configured (or, where drills are on, its drill failed).</summary>
    public const string Age = ExpiryReasonCodes.Age;

    /// <summary>Kept: the newest of a day, week or month a calendar rule keeps; deleted: older than the maximum age and kept by no calendar rule.</summary>
    public const string Gfs = ExpiryReasonCodes.Gfs;

    /// <summary>Kept for now: no rule keeps it, but a restore job reads it.</summary>
    public const string Restore = "restore";

    /// <summary>Kept: not a successful run, so there is no artifact to delete.</summary>
    public const string NoArtifact = "no-artifact";

    /// <summary>Deleted: its deletion was decided before (by hand through the API, or by an earlier sweep whose store delete failed).</summary>
    public const string Pending = "pending";

    /// <summary>Deleted by hand (the API's DELETE /runs/{id}/artifact).</summary>
    public const string Manual = ExpiryReasonCodes.Manual;
}
