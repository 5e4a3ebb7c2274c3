namespace Backup.Contracts;

/// <summary>
/// A completed backup whose data looks wrong next to its source's recent backups: a table's rows fell sharply or to
/// zero, or a table disappeared. A warning, not a failure: the run stays Completed and its backup counts as any other.
/// Published by the catalog (through its outbox) at most once per run.
/// </summary>
public sealed record BackupDataSuspicious
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset DetectedAt { get; init; }

    /// <summary>Every finding of the run, at least one.</summary>
    public required IReadOnlyList<DataFinding> Findings { get; init; }
}
