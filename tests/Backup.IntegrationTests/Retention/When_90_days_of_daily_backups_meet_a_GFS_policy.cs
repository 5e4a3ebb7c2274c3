using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.Ctl;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// 90 daily backups of "demo" (30 days + 4 weekly + 3 monthly, the defaults here) and of "billing" (its own MaxAge of 7
/// days, the same calendar rules). Before the sweep, the API's dry run and backupctl's dry run (from the store's
/// manifests alone) are asked what would go; then the retention service sweeps. What remains is computed here from
/// the calendar (ISO weeks, months), not by the production function.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_90_days_of_daily_backups_meet_a_GFS_policy(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly DateTimeOffset now = RetentionScenario.RealNow();
    RetentionScenario scenario = null!;
    WebApplication retention = null!;
    HashSet<Guid> apiWouldDelete = null!;
    JsonElement apiPreview;
    HashSet<string> ctlWouldDelete = null!;
    bool storeWholeAfterDryRuns;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, now, new()
        {
            ["Retention:MaxAge"] = "30.00:00:00",
            ["Retention:KeepWeekly"] = "4",
            ["Retention:KeepMonthly"] = "3",
            ["Retention:Sources:billing:MaxAge"] = "7.00:00:00",
        });
        for (var age = 0; age < 90; age++)
        {
            // An hour before now's time of day, so the API's clock (a little later than the test's) decides the same.
            await scenario.AddAsync("demo", now.AddDays(-age).AddHours(-1));
            await scenario.AddAsync("billing", now.AddDays(-age).AddHours(-1));
        }
        await scenario.WaitUntilCatalogedAsync();
        retention = await scenario.StartRetentionAsync();

        using (var api = new ApiHost(scenario.System, scenario.Configure))
        using (var reader = api.ClientAs("reader-1", "backup.reader"))
        {
            apiPreview = await reader.GetFromJsonAsync<JsonElement>("/api/v1/retention/preview");
            apiWouldDelete = [.. apiPreview.GetProperty("wouldDelete").EnumerateArray().Select(c => c.GetProperty("runId").GetGuid())];
        }
        ctlWouldDelete = [.. await CtlWouldDeleteAsync("demo", "30d"), .. await CtlWouldDeleteAsync("billing", "7d")];
        storeWholeAfterDryRuns = scenario.Backups.All(b => b.InStore && File.Exists(b.ManifestPath));

        await RetentionScenario.SweepAsync(retention);
        await scenario.WaitUntilExpiredAsync(scenario.Backups.Where(b => !Expected(b.Source).Contains(b.RunId)));
    }

    async Task<IEnumerable<string>> CtlWouldDeleteAsync(string source, string maxAge)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await BackupCtl.RunAsync(["retention", "--store", scenario.System.StoreRoot, "--dry-run", "--source", source,
            "--max-age", maxAge, "--keep-weekly", "4", "--keep-monthly", "3", "--now", now.ToString("O", CultureInfo.InvariantCulture)],
            Terminal.Capture(output, errors));
        Assert.True(exit == 0, $"backupctl retention failed: {errors}");
        return output.ToString().Split('\n').Where(line => line.StartsWith("DELETE", StringComparison.Ordinal))
            .Select(line => line.Split("  ", StringSplitOptions.RemoveEmptyEntries)[2]);
    }

    /// <summary>
    /// From the calendar: the newest 3 (floor); those within the source's max age; the newest of each of the 4 newest
    /// ISO weeks and of each of the 3 newest months.
    /// </summary>
    HashSet<Guid> Expected(string source)
    {
        var maxAge = TimeSpan.FromDays(source == "billing" ? 7 : 30);
        var newestFirst = scenario.Backups.Where(b => b.Source == source).OrderByDescending(b => b.CompletedAt).ToList();
        var kept = newestFirst.Take(3).Select(b => b.RunId).ToHashSet();
        kept.UnionWith(newestFirst.Where(b => b.CompletedAt >= now - maxAge).Select(b => b.RunId));
        kept.UnionWith(newestFirst.GroupBy(b => (ISOWeek.GetYear(b.CompletedAt.UtcDateTime), ISOWeek.GetWeekOfYear(b.CompletedAt.UtcDateTime)))
            .Take(4).Select(week => week.First().RunId));
        kept.UnionWith(newestFirst.GroupBy(b => (b.CompletedAt.UtcDateTime.Year, b.CompletedAt.UtcDateTime.Month))
            .Take(3).Select(month => month.First().RunId));
        return kept;
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    [Fact]
    public async Task Exactly_the_expected_backups_remain_and_both_dry_runs_listed_what_the_sweep_then_deleted()
    {
        var runs = await scenario.RunsAsync();
        var expected = Expected("demo").Concat(Expected("billing")).ToHashSet();
        var deleted = scenario.Backups.Where(b => !expected.Contains(b.RunId)).ToList();
        Assert.InRange(deleted.Count(b => b.Source == "billing"), 70, 90);   // the 7-day source loses far more
        Assert.InRange(deleted.Count(b => b.Source == "demo"), 50, 60);

        // The catalog and the store agree with the calendar.
        Assert.Equal(expected.Order(), scenario.Backups.Where(b => runs[b.RunId].CurrentState == BackupRunStates.Completed).Select(b => b.RunId).Order());
        Assert.All(scenario.Backups, b => Assert.Equal(expected.Contains(b.RunId), b.InStore));
        Assert.All(scenario.Backups, b => Assert.Equal(expected.Contains(b.RunId), File.Exists(b.ManifestPath)));
        Assert.All(deleted, b => Assert.StartsWith("gfs: ", runs[b.RunId].ExpiryReason));

        // The dry runs deleted nothing, and listed exactly what the sweep then deleted.
        Assert.True(storeWholeAfterDryRuns, "a dry run deleted something");
        Assert.Equal(deleted.Select(b => b.RunId).Order(), apiWouldDelete.Order());
        Assert.Equal(deleted.Select(b => b.Key.Value).Order(StringComparer.Ordinal), ctlWouldDelete.Order(StringComparer.Ordinal));

        // One BackupExpired per deleted run, none for the others; a second sweep has nothing left to do.
        var events = await scenario.ExpiryEventsAsync();
        Assert.All(deleted, b => Assert.Equal(1, events.GetValueOrDefault(b.RunId)));
        Assert.Equal(deleted.Count, events.Count);
        Assert.Equal(0, (await RetentionScenario.SweepAsync(retention)).Expired);
    }

    [Fact]
    public void The_API_dry_run_gives_each_source_its_rules_and_a_reason_for_every_backup()
    {
        var sources = apiPreview.GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("source").GetString()!);
        Assert.Equal(["billing", "demo"], sources.Keys.Order());
        Assert.Equal("7.00:00:00", sources["billing"].GetProperty("rules").GetProperty("maxAge").GetString());
        Assert.Equal(4, sources["demo"].GetProperty("rules").GetProperty("keepWeekly").GetInt32());
        foreach (var source in sources.Values)
        {
            Assert.Equal(90, source.GetProperty("kept").GetArrayLength() + source.GetProperty("wouldDelete").GetArrayLength());
            Assert.All(source.GetProperty("wouldDelete").EnumerateArray(), c => Assert.Matches(
                @"^gfs: completed \S+, older than \d+ days; (not the newest of|week \d{4}-W\d\d is beyond)", c.GetProperty("reason").GetString()));
        }
        var keptReasons = sources["billing"].GetProperty("kept").EnumerateArray().Select(c => c.GetProperty("reason").GetString()!).ToList();
        Assert.Contains(keptReasons, r => r.StartsWith("floor: one of the newest 3 good backups of billing", StringComparison.Ordinal));
        Assert.Contains(keptReasons, r => r.StartsWith("age: completed", StringComparison.Ordinal));
        Assert.Contains(keptReasons, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"^gfs: newest of (week \d{4}-W\d\d|month \d{4}-\d\d)$"));
    }
}
