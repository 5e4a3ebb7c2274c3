namespace Backup.Contracts;

/// <summary>One table of a restore: rows recorded in the artifact's manifest and rows found in the restored database.</summary>
public sealed record RestoredTable
{
    public required string Schema { get; init; }
    public required string Name { get; init; }
    public required long ExpectedRows { get; init; }
    public required long RestoredRows { get; init; }
}
