namespace Backup.Contracts;

/// <summary>The dumper has taken the run and started pg_dump.</summary>
public sealed record BackupStarted
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
}
