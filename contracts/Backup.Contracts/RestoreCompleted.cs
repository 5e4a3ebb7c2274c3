namespace Backup.Contracts;

/// <summary>The artifact was verified and restored; every table's row count matches the manifest's.</summary>
public sealed record RestoreCompleted
{
    public required Guid RestoreId { get; init; }
    public required string ArtifactKey { get; init; }
    public required string Source { get; init; }
    public required string TargetDatabase { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>Each archived table: the rows the manifest recorded and the rows found after the restore.</summary>
    public required IReadOnlyList<RestoredTable> Tables { get; init; }
}
