namespace Backup.Contracts;

/// <summary>One table of a backup as its manifest records it: the rows pg_dump wrote of it.</summary>
public sealed record BackupTable
{
    public required string Schema { get; init; }
    public required string Name { get; init; }
    public required long Rows { get; init; }
}
