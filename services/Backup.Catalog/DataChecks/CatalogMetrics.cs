using System.Diagnostics.Metrics;
using Backup.Contracts;

namespace Backup.Catalog.DataChecks;

/// <summary>
/// The catalog's instruments, on the meter named like the service (its ApplicationName, "Backup.Catalog", which the
/// shared defaults export). Tags are the configured source name and the finding only (never a table's name).
/// </summary>
public sealed class CatalogMetrics
{
    public const string DataWarningsName = "backup.data.warnings";

    readonly Counter<long> dataWarnings;

    public CatalogMetrics(IMeterFactory meters, IHostEnvironment host)
    {
        var meter = meters.Create(host.ApplicationName);
        dataWarnings = meter.CreateCounter<long>(DataWarningsName, "{warning}",
            "Findings in backups' row counts next to their source's recent backups, one per table: backup.finding dropped, emptied or disappeared.");
    }

    public void Found(string source, IEnumerable<DataFinding> findings)
    {
        foreach (var finding in findings)
            dataWarnings.Add(1, new KeyValuePair<string, object?>("backup.source", source), new("backup.finding", finding.Finding));
    }
}
