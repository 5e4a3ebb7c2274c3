namespace Backup.Contracts;

/// <summary>
/// A restore drill of the run's backup failed: the backup itself stays Completed, but it is not proven restorable and
/// never counts as a good backup for retention. <see cref="Reason"/> says what failed in words an administrator can act on.
/// </summary>
public sealed record BackupVerificationFailed
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FailedAt { get; init; }

    /// <summary>What failed first, one of <see cref="VerificationErrorCodes"/>.</summary>
    public required string ErrorCode { get; init; }

    /// <summary>What failed and what to check, in words; never a secret.</summary>
    public required string Reason { get; init; }

    /// <summary>Every failed proof, one line each (a table's row count, a missing index, a check that returned false…).</summary>
    public required IReadOnlyList<string> Failures { get; init; }

    /// <summary>The steps the drill got through, each with its duration.</summary>
    public required IReadOnlyList<DrillStep> Steps { get; init; }

    /// <summary>Row counts, when the data was restored; empty otherwise.</summary>
    public required IReadOnlyList<RestoredTable> Tables { get; init; }

    /// <summary>The source's checks that ran, each with its outcome.</summary>
    public required IReadOnlyList<DrillCheck> Checks { get; init; }
}
