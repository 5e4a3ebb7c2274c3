namespace Backup.Contracts;

/// <summary>
/// One table whose rows look wrong next to the source's recent backups. <see cref="Finding"/> is one of
/// <see cref="DataFindings"/>; <see cref="Rows"/> is null when the table <see cref="DataFindings.Disappeared"/>.
/// </summary>
public sealed record DataFinding
{
    public required string Schema { get; init; }
    public required string Table { get; init; }
    public required string Finding { get; init; }
    public required long PreviousRows { get; init; }
    public required long? Rows { get; init; }
}
