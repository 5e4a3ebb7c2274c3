using Backup.Recovery.Restore;
using Backup.Storage;

namespace Backup.Recovery.Drills;

/// <summary>
/// What a restore drill proved, or which proof failed first (<see cref="ErrorCode"/>, a
/// Backup.Contracts.VerificationErrorCodes value) and all that failed (<see cref="Failures"/>), with the time of each
/// step and the whole (<see cref="RecoveryTime"/>: the measured recovery time of the backup).
/// </summary>
public sealed record DrillReport(
    ArtifactKey Key,
    ArtifactManifest? Manifest,
    IReadOnlyList<DrillStepTime> Steps,
    IReadOnlyList<RowCount> Tables,
    IReadOnlyList<DrillCheckResult> Checks,
    IReadOnlyList<string> Failures,
    string? ErrorCode,
    string? Reason)
{
    public bool Passed => ErrorCode is null;

    /// <summary>The whole drill, from fetching the artifact to the last check.</summary>
    public TimeSpan RecoveryTime => Steps.Aggregate(TimeSpan.Zero, (total, step) => total + step.Duration);
}

/// <summary>One step of a drill (<see cref="DrillSteps"/>) and how long it took.</summary>
public sealed record DrillStepTime(string Name, TimeSpan Duration);

/// <summary>One of the source's checks: whether it returned true, and if not, why.</summary>
public sealed record DrillCheckResult(string Name, bool Passed, string? Detail);

/// <summary>The names of a drill's steps, in the order they run.</summary>
public static class DrillSteps
{
    /// <summary>The artifact copied from the store while its size and SHA-256 are checked against the manifest.</summary>
    public const string Fetch = "fetch";

    /// <summary>Decrypted and decompressed up to its table of contents (or, for an archive restored from a file, to its end).</summary>
    public const string Decode = "decode";

    /// <summary>The scratch database created and the schema restored.</summary>
    public const string Schema = "schema";

    /// <summary>Every table's rows loaded while the archive decodes.</summary>
    public const string Data = "data";

    /// <summary>Indexes, constraints and the rest of the post-data.</summary>
    public const string Indexes = "indexes";

    /// <summary>Schema, data and indexes in one pg_restore, for an archive restored from a decoded file.</summary>
    public const string Restore = "restore";

    /// <summary>Exact row counts, every object of the table of contents, sequence values.</summary>
    public const string Verify = "verify";

    /// <summary>The source's own checks.</summary>
    public const string Checks = "checks";
}
