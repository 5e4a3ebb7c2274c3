namespace Backup.Contracts;

/// <summary>
/// The run's backup gets no restore drill, and why (e.g. the source is drilled at most once a day and was drilled
/// within that interval). The backup stays good but unproven.
/// </summary>
public sealed record BackupVerificationSkipped
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset SkippedAt { get; init; }

    /// <summary>Why no drill runs, in words, e.g. "drilled at most every 1 day; run … was drilled 3 h ago".</summary>
    public required string Reason { get; init; }
}
