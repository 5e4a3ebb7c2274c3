namespace Backup.Contracts;

/// <summary>Retention has deleted the run's artifact. Published only after the delete succeeded.</summary>
public sealed record BackupExpired
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset ExpiredAt { get; init; }
    public required string ArtifactKey { get; init; }

    /// <summary>Why it was removed, for example "age: completed 2026-10-01T02:00:00Z, older than 30 days".</summary>
    public required string Reason { get; init; }
}
