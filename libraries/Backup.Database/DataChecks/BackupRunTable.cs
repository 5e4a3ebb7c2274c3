namespace Backup.Database.DataChecks;

/// <summary>
/// One table of a completed run's backup with its row count, from BackupCompleted.Tables (the manifest's): what the
/// catalog compares each new backup of the source with. Written only by the catalog's backup-run saga, in the
/// transaction that records the completion; a run whose publisher sent no tables has no rows here.
/// </summary>
public sealed class BackupRunTable
{
    public Guid RunId { get; set; }
    public required string Source { get; set; }
    public DateTimeOffset CompletedAt { get; set; }
    public required string SchemaName { get; set; }
    public required string TableName { get; set; }
    public long Rows { get; set; }
}
