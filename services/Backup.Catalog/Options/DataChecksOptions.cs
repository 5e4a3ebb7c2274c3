using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Catalog.Options;

/// <summary>
/// How the catalog compares each completed backup's row counts with its source's recent backups: section
/// "Catalog:DataChecks". Thresholds by default (<see cref="Default"/>), per source (<see cref="Sources"/>) and per table
/// of a source (<see cref="SourceDataChecks.Tables"/>, keyed "schema.table"); the most specific setting wins. Unknown
/// keys stop the service at start, so a misspelt threshold is never silently ignored.
/// </summary>
public sealed class DataChecksOptions : IConfigurationSection<DataChecksOptions>, ISelfValidatingOptions
{
    public static string Section => "Catalog:DataChecks";

    /// <summary>
    /// Nothing is compared until the source has this many earlier completed backups with row counts: a new source's
    /// first backups (data still being loaded, its selection still being tuned) never alert.
    /// </summary>
    [Range(1, 100)]
    public int MinPreviousBackups { get; set; } = 3;

    /// <summary>
    /// How many of the source's latest earlier backups are looked at: a table disappeared when it was in each of them.
    /// </summary>
    [Range(1, 100)]
    public int RecentBackups { get; set; } = 7;

    public TableDataChecks Default { get; set; } = new() { Enabled = true, MaxDropShare = DataCheckRule.DefaultMaxDropShare };

    /// <summary>By source name, e.g. Catalog:DataChecks:Sources:warehouse:MaxDropShare = 0.8.</summary>
    public Dictionary<string, SourceDataChecks> Sources { get; set; } = [];

    /// <summary>The rule for one table of one source: the table's settings, else the source's, else the default's.</summary>
    public DataCheckRule RuleFor(string source, string schema, string table)
    {
        var ofSource = Sources.GetValueOrDefault(source);
        var ofTable = ofSource?.Tables.GetValueOrDefault($"{schema}.{table}");
        return new DataCheckRule(
            ofTable?.Enabled ?? ofSource?.Enabled ?? Default.Enabled ?? true,
            ofTable?.MaxDropShare ?? ofSource?.MaxDropShare ?? Default.MaxDropShare ?? DataCheckRule.DefaultMaxDropShare);
    }

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MinPreviousBackups > RecentBackups)
            yield return (nameof(MinPreviousBackups), $"is {MinPreviousBackups}, more than RecentBackups ({RecentBackups}): no backup would ever be compared.");
        foreach (var problem in Default.Problems(nameof(Default)))
            yield return problem;
        foreach (var (source, checks) in Sources)
        {
            var key = $"{nameof(Sources)}:{source}";
            if (!SourceNames.IsValid(source))
                yield return (key, $"is not a source name ({SourceNames.Rule}).");
            foreach (var problem in checks.Problems(key))
                yield return problem;
            foreach (var (table, tableChecks) in checks.Tables)
            {
                var tableKey = $"{key}:{nameof(SourceDataChecks.Tables)}:{table}";
                var dot = table.IndexOf('.');
                if (dot <= 0 || dot == table.Length - 1)
                    yield return (tableKey, "is not a table name: write it as <schema>.<table>, e.g. public.orders.");
                foreach (var problem in tableChecks.Problems(tableKey))
                    yield return problem;
            }
        }
    }
}

/// <summary>The settings of one table (or the default's): null leaves the setting to the wider level.</summary>
public class TableDataChecks
{
    /// <summary>False: the table (source, or every source) is not compared at all.</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// The share of the previous backup's rows a table may lose before it is reported dropped, in (0, 1]: 0.5 reports
    /// a fall to less than half. At 1 only a table emptied is reported.
    /// </summary>
    public double? MaxDropShare { get; set; }

    internal IEnumerable<(string Key, string Problem)> Problems(string key)
    {
        if (MaxDropShare is { } share && !(share > 0 && share <= 1))
            yield return ($"{key}:{nameof(MaxDropShare)}", $"must be a share in (0, 1], such as 0.5 for half the rows; it is {share}.");
    }
}

/// <summary>A source's settings, and those of its tables by "schema.table".</summary>
public sealed class SourceDataChecks : TableDataChecks
{
    public Dictionary<string, TableDataChecks> Tables { get; set; } = [];
}

/// <summary>What applies to one table of one source.</summary>
public sealed record DataCheckRule(bool Enabled, double MaxDropShare)
{
    public const double DefaultMaxDropShare = 0.5;
}
