using Backup.Catalog.DataChecks;
using Backup.Catalog.Options;
using Backup.Contracts;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.Configuration;

namespace Backup.Catalog.Tests.DataChecks;

/// <summary>The row-count comparison: what is a finding, under which thresholds, and never on a source's first backups.</summary>
public class RowCountComparisonTests
{
    static readonly DateTimeOffset Day = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    static BackupTable Table(string name, long rows, string schema = "public") => new() { Schema = schema, Name = name, Rows = rows };

    // Earlier backups, newest first, each with the same tables and counts unless given.
    static IReadOnlyList<PreviousBackup> History(int count, params (string Table, long Rows)[] tables) =>
        Enumerable.Range(1, count).Select(i => new PreviousBackup(Guid.NewGuid(), Day.AddDays(-i),
            tables.ToDictionary(t => ("public", t.Table), t => t.Rows))).ToList();

    static IReadOnlyList<DataFinding> Compare(IReadOnlyList<BackupTable> now, IReadOnlyList<PreviousBackup> recent, DataChecksOptions? options = null) =>
        RowCountComparison.Compare("demo", now, recent, options ?? new DataChecksOptions());

    [Fact]
    public void When_a_table_is_emptied_It_is_reported_emptied_with_both_counts()
    {
        var findings = Compare([Table("orders", 0), Table("customers", 50)], History(3, ("orders", 1200), ("customers", 50)));

        var finding = Assert.Single(findings);
        Assert.Equal(("public", "orders", DataFindings.Emptied, 1200L, (long?)0), (finding.Schema, finding.Table, finding.Finding, finding.PreviousRows, finding.Rows));
    }

    [Fact]
    public void When_rows_fall_below_half_It_is_reported_dropped_and_at_half_it_is_not()
    {
        Assert.Equal(DataFindings.Dropped, Assert.Single(Compare([Table("orders", 499)], History(3, ("orders", 1000)))).Finding);
        Assert.Empty(Compare([Table("orders", 500)], History(3, ("orders", 1000))));
    }

    [Fact]
    public void When_the_source_has_fewer_previous_backups_than_the_minimum_Nothing_is_reported()
    {
        Assert.Empty(Compare([Table("orders", 0)], History(2, ("orders", 1000), ("gone", 5))));
        Assert.Empty(Compare([Table("orders", 0)], []));
    }

    [Fact]
    public void When_a_table_present_in_every_recent_backup_is_missing_It_is_reported_disappeared()
    {
        var findings = Compare([Table("orders", 1000)], History(3, ("orders", 1000), ("invoices", 30)));

        var finding = Assert.Single(findings);
        Assert.Equal((DataFindings.Disappeared, "invoices", 30L, (long?)null), (finding.Finding, finding.Table, finding.PreviousRows, finding.Rows));
    }

    [Fact]
    public void When_a_missing_table_was_not_in_each_recent_backup_It_is_not_reported()
    {
        var recent = History(3, ("orders", 1000)).ToList();
        recent[0] = recent[0] with { Rows = new Dictionary<(string, string), long> { [("public", "orders")] = 1000, [("public", "staging")] = 7 } };

        Assert.Empty(Compare([Table("orders", 1000)], recent));
    }

    [Fact]
    public void When_a_table_was_empty_before_and_still_is_or_grew_Nothing_is_reported()
    {
        Assert.Empty(Compare([Table("queue", 0), Table("orders", 5000), Table("fresh", 0)], History(3, ("queue", 0), ("orders", 1000))));
    }

    [Fact]
    public void It_compares_with_the_previous_backup_only_so_a_drop_is_reported_once()
    {
        var recent = History(3, ("orders", 1000)).ToList();
        recent[0] = recent[0] with { Rows = new Dictionary<(string, string), long> { [("public", "orders")] = 100 } };

        Assert.Empty(Compare([Table("orders", 100)], recent)); // the backup after the drop: no new finding
    }

    [Fact]
    public void Per_source_and_per_table_thresholds_apply_the_most_specific_first()
    {
        var options = new DataChecksOptions
        {
            Sources =
            {
                ["demo"] = new SourceDataChecks
                {
                    MaxDropShare = 0.9,
                    Tables = { ["public.audit"] = new TableDataChecks { MaxDropShare = 0.2 }, ["public.scratch"] = new TableDataChecks { Enabled = false } },
                },
            },
        };

        var findings = Compare([Table("orders", 200), Table("audit", 700), Table("scratch", 0)],
            History(3, ("orders", 1000), ("audit", 1000), ("scratch", 40)), options);

        var finding = Assert.Single(findings); // orders lost 80% (under the source's 0.9); scratch is not checked
        Assert.Equal(("audit", DataFindings.Dropped), (finding.Table, finding.Finding));
    }

    [Fact]
    public void A_source_with_checks_off_reports_nothing()
    {
        var options = new DataChecksOptions { Sources = { ["demo"] = new SourceDataChecks { Enabled = false } } };

        Assert.Empty(Compare([Table("orders", 0)], History(3, ("orders", 1000), ("gone", 1)), options));
    }

    [Theory]
    [InlineData("Sources:demo:MaxDropShare", "0", "Catalog:DataChecks:Sources:demo:MaxDropShare: must be a share in (0, 1]")]
    [InlineData("Default:MaxDropShare", "1.5", "Catalog:DataChecks:Default:MaxDropShare: must be a share in (0, 1]")]
    [InlineData("Sources:demo:Tables:orders:MaxDropShare", "0.5", "Catalog:DataChecks:Sources:demo:Tables:orders: is not a table name")]
    [InlineData("Sources:Demo!:Enabled", "false", "Catalog:DataChecks:Sources:Demo!: is not a source name")]
    [InlineData("MinPreviousBackups", "9", "Catalog:DataChecks:MinPreviousBackups: is 9, more than RecentBackups (7)")]
    public void A_bad_setting_is_refused_naming_its_key(string key, string value, string expected)
    {
        var options = Bind(new Dictionary<string, string?> { [$"{DataChecksOptions.Section}:{key}"] = value });

        var problems = ValidatedOptions.Problems(options, DataChecksOptions.Section).ToList();

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_key_is_refused_not_ignored()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Bind(new Dictionary<string, string?> { [$"{DataChecksOptions.Section}:Sources:demo:MaxDropShar"] = "0.5" }));

        Assert.Contains("MaxDropShar", e.ToString());
    }

    static DataChecksOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new DataChecksOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(DataChecksOptions.Section)
            .Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        return options;
    }
}
