namespace Backup.Contracts;

/// <summary>
/// A restore drill of the run's backup was accepted and waits for (or holds) the drill server: the run's verification
/// is pending. Published by the restorer's drill intake; BackupVerified, BackupVerificationFailed follow.
/// </summary>
public sealed record BackupVerificationQueued
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset QueuedAt { get; init; }
}
