using Backup.Catalog.Options;
using Backup.Contracts;

namespace Backup.Catalog.DataChecks;

/// <summary>One earlier completed backup of the source: its tables' row counts by (schema, table).</summary>
public sealed record PreviousBackup(Guid RunId, DateTimeOffset CompletedAt, IReadOnlyDictionary<(string Schema, string Table), long> Rows);

/// <summary>
/// Compares a backup's row counts with its source's recent backups (newest first), table by table, under each table's
/// <see cref="DataCheckRule"/>: <see cref="DataFindings.Emptied"/> when the previous backup had rows and this one has
/// none; <see cref="DataFindings.Dropped"/> when the rows fell below (1 − MaxDropShare) of the previous backup's;
/// <see cref="DataFindings.Disappeared"/> when a table present in each of the recent backups is not in this one.
/// Counts are compared with the previous backup only, so a sudden loss is reported once (the next backup compares
/// with the reduced table) and a slow decline never. Nothing is compared before the source has
/// <see cref="DataChecksOptions.MinPreviousBackups"/> earlier backups.
/// </summary>
public static class RowCountComparison
{
    public static IReadOnlyList<DataFinding> Compare(string source, IReadOnlyList<BackupTable> tables,
        IReadOnlyList<PreviousBackup> recent, DataChecksOptions options)
    {
        if (recent.Count < options.MinPreviousBackups) return [];
        var previous = recent[0];
        var findings = new List<DataFinding>();

        foreach (var table in tables)
        {
            var rule = options.RuleFor(source, table.Schema, table.Name);
            if (!rule.Enabled || !previous.Rows.TryGetValue((table.Schema, table.Name), out var before)) continue;
            var finding = before > 0 && table.Rows == 0 ? DataFindings.Emptied
                : table.Rows < (1 - rule.MaxDropShare) * before ? DataFindings.Dropped
                : null;
            if (finding is not null)
                findings.Add(new DataFinding { Schema = table.Schema, Table = table.Name, Finding = finding, PreviousRows = before, Rows = table.Rows });
        }

        var present = tables.Select(t => (t.Schema, t.Name)).ToHashSet();
        var alwaysThere = recent.Skip(1).Aggregate(previous.Rows.Keys.ToHashSet(), (kept, backup) =>
        {
            kept.IntersectWith(backup.Rows.Keys);
            return kept;
        });
        foreach (var (schema, table) in alwaysThere.Where(t => !present.Contains(t)).Order())
        {
            if (!options.RuleFor(source, schema, table).Enabled) continue;
            findings.Add(new DataFinding { Schema = schema, Table = table, Finding = DataFindings.Disappeared, PreviousRows = previous.Rows[(schema, table)], Rows = null });
        }
        return findings;
    }
}
