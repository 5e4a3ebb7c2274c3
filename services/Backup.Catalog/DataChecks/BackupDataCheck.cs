using System.Text.Json;
using Backup.Catalog.Options;
using Backup.Contracts;
using Backup.Database;
using Backup.Database.DataChecks;
using Backup.Database.Outbox;
using Backup.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.DataChecks;

/// <summary>
/// Run by the backup-run saga when a run completes (once: a repeated BackupCompleted is ignored by the saga), on the
/// saga's DbContext and in its transaction: records the backup's row counts (backup_run_tables), compares them with
/// the source's recent backups (<see cref="RowCountComparison"/>) and, when something looks wrong, marks the run
/// (backup_runs.data_warnings) and puts one BackupDataSuspicious in outbox_messages. All or nothing with the run's
/// completion; the run's state is never changed by it. A completion without tables (an older dumper) is not compared.
/// </summary>
public sealed partial class BackupDataCheck(
    IOptionsMonitor<DataChecksOptions> options,
    CatalogMetrics metrics,
    TimeProvider clock,
    ILogger<BackupDataCheck> logger)
{
    public async Task RecordAsync(CatalogDbContext db, BackupRun run, BackupCompleted completed, CancellationToken cancellationToken)
    {
        if (completed.Tables is not { } tables) return;
        var settings = options.CurrentValue;
        var completedAt = completed.CompletedAt.ToPostgresPrecision();
        var recent = await RecentAsync(db, run.Source, run.CorrelationId, completedAt, settings.RecentBackups, cancellationToken);

        var counted = tables.Select(t => t with { Schema = Text.Clip(t.Schema, 63)!, Name = Text.Clip(t.Name, 63)! })
            .DistinctBy(t => (t.Schema, t.Name)).ToList();
        db.BackupRunTables.AddRange(counted.Select(t => new BackupRunTable
        {
            RunId = run.CorrelationId,
            Source = run.Source,
            CompletedAt = completedAt,
            SchemaName = t.Schema,
            TableName = t.Name,
            Rows = t.Rows,
        }));

        var findings = RowCountComparison.Compare(run.Source, counted, recent, settings);
        if (findings.Count == 0) return;
        var now = clock.GetUtcNow();
        run.DataWarnings = JsonSerializer.Serialize(findings, JsonSerializerOptions.Web);
        db.OutboxMessages.Add(OutboxMessages.For(new BackupDataSuspicious
        {
            RunId = run.CorrelationId,
            Source = run.Source,
            ArtifactKey = run.ArtifactKey ?? completed.ArtifactKey,
            DetectedAt = now,
            Findings = findings,
        }, now));
        metrics.Found(run.Source, findings);
        foreach (var finding in findings)
            DataLooksWrong(logger, run.CorrelationId, run.Source, finding.Finding, $"{finding.Schema}.{finding.Table}", finding.PreviousRows, finding.Rows);
    }

    /// <summary>The source's latest completed backups before this one that have row counts, newest first.</summary>
    static async Task<IReadOnlyList<PreviousBackup>> RecentAsync(CatalogDbContext db, string source, Guid runId,
        DateTimeOffset before, int count, CancellationToken cancellationToken)
    {
        var runs = await db.BackupRunTables
            .Where(t => t.Source == source && t.RunId != runId && t.CompletedAt < before)
            .Select(t => new { t.RunId, t.CompletedAt }).Distinct()
            .OrderByDescending(r => r.CompletedAt).Take(count)
            .ToListAsync(cancellationToken);
        var ids = runs.Select(r => r.RunId).ToList();
        var rows = await db.BackupRunTables.AsNoTracking().Where(t => ids.Contains(t.RunId)).ToListAsync(cancellationToken);
        return runs.Select(r => new PreviousBackup(r.RunId, r.CompletedAt,
            rows.Where(t => t.RunId == r.RunId).ToDictionary(t => (t.SchemaName, t.TableName), t => t.Rows))).ToList();
    }

    [LoggerMessage(4301, LogLevel.Warning, "Backup run {RunId} of {Source}: table {Table} {Finding} ({PreviousRows} rows before, {Rows} now)")]
    static partial void DataLooksWrong(ILogger logger, Guid runId, string source, string finding, string table, long previousRows, long? rows);
}
