namespace Backup.Contracts;

/// <summary>
/// A restore drill proved the run's backup restorable: the artifact was fetched and checked against its manifest,
/// restored into a scratch database on the drill server, every table's exact row count matched the manifest's, every
/// object of the archive's table of contents exists, sequences stand at their dumped values and the source's checks
/// passed. <see cref="RecoveryTimeSeconds"/> is the measured time to recover from this backup.
/// </summary>
public sealed record BackupVerified
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset VerifiedAt { get; init; }

    /// <summary>The whole drill, from fetching the artifact to the last check: the measured recovery time (RTO) of this backup.</summary>
    public required double RecoveryTimeSeconds { get; init; }

    /// <summary>The source's recovery time objective. A drill over it passes, and the administrators are warned.</summary>
    public required double RtoTargetSeconds { get; init; }

    /// <summary>The drill's steps in order, each with its duration.</summary>
    public required IReadOnlyList<DrillStep> Steps { get; init; }

    /// <summary>Each archived table: the rows the manifest recorded (counted in the dump's snapshot) and the rows restored.</summary>
    public required IReadOnlyList<RestoredTable> Tables { get; init; }

    /// <summary>The source's own checks (Drills:Sources:&lt;source&gt;:Checks), each with its outcome; empty when it has none.</summary>
    public required IReadOnlyList<DrillCheck> Checks { get; init; }
}
