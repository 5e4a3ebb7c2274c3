using System.Globalization;
using System.Text.Json;
using Backup.Dashboard.Tests.Harness;
using Backup.Database;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests;

/// <summary>
/// A catalog seeded with runs of known states, sizes and durations, read through the dashboard in a real browser: the
/// overview's states and summary, a reader's pages without any action, the charts' points compared as data with the
/// catalog rows and the history, and every page at 1280 and 390 pixels (screenshots; the phone width does not scroll
/// sideways).
/// </summary>
[Collection(DashboardCollections.Display)]
public sealed class When_the_dashboard_shows_the_catalog(SeededCatalog seeded) : IClassFixture<SeededCatalog>
{
    static readonly string[] Actions = ["backup-now", "download", "restore", "delete-artifact", "edit-schedule", "retention-preview"];

    SignedInDashboard Dashboard => seeded.Dashboard;
    Uri Api => Dashboard.Api.Address;

    [Fact]
    public async Task The_overview_shows_each_source_in_the_state_its_runs_imply_problems_first_with_the_API_s_summary()
    {
        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.ReaderAnn);
        await InPage.DrawnAsync(page, "overview");

        var rows = await page.Locator("[data-testid=source-row]").EvaluateAllAsync<string[]>(
            "rows => rows.map(r => `${r.dataset.source} ${r.dataset.state}`)");
        var overview = await InPage.GetJsonAsync(page, "/api/v1/overview");
        Assert.Equal(overview.GetProperty("sources").EnumerateArray().Select(s => $"{s.GetProperty("source").GetString()} {s.GetProperty("state").GetString()}"), rows);
        // What the seeded runs imply, problems first (failing, stale, unverified, healthy, disabled), then by name.
        Assert.Equal(["echo failing", "delta stale", "charlie unverified", "alpha healthy", "bravo disabled"],
            rows.Where(r => SeededCatalog.Judged.Contains(r.Split(' ')[0])));
        var order = new[] { "failing", "stale", "unverified", "healthy", "disabled" };
        var ranks = rows.Select(r => Array.IndexOf(order, r.Split(' ')[1])).ToList();
        Assert.Equal(ranks.Order(), ranks);

        var summary = overview.GetProperty("summary");
        foreach (var state in new[] { "healthy", "failing", "stale", "unverified" })
        {
            var shown = await page.Locator($"[data-testid=summary] [data-testid=summary-{state}]").InnerTextAsync();
            Assert.Equal(summary.GetProperty(state).GetInt32(), int.Parse(shown.Trim(), CultureInfo.InvariantCulture));
            Assert.Equal(rows.Count(r => r.EndsWith($" {state}", StringComparison.Ordinal)), summary.GetProperty(state).GetInt32());
        }
        Assert.Equal($"/sources/alpha", await page.Locator("[data-testid=source-row][data-source=alpha] a[href='/sources/alpha']").First.GetAttributeAsync("href"));
    }

    [Fact]
    public async Task A_reader_sees_no_action_and_a_forged_POST_from_the_reader_s_page_is_refused_and_publishes_nothing()
    {
        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.ReaderAnn);
        await InPage.DrawnAsync(page, "overview");
        Assert.Equal("reader", await page.Locator("body").GetAttributeAsync("data-roles"));
        foreach (var (path, name) in new[] { ("/", "overview"), ("/sources/alpha", "source"), ($"/runs/{seeded.AlphaLast}", "run"), ("/runs", "runs") })
        {
            await InPage.OpenAsync(page, Api, path, name);
            foreach (var action in Actions)
                Assert.True(await page.Locator($"[data-action={action}]").CountAsync() == 0, $"{path} shows [data-action={action}] to a reader");
        }

        var token = (await InPage.SessionAsync(page)).GetProperty("csrfToken").GetString();
        var forged = await InPage.FetchAsync(page, "POST", "/api/v1/sources/alpha/backups", token);
        Assert.Equal(403, forged.Status);
        // The API audits the changes it makes, not requests its role policy refuses: no trigger row, and nothing queued.
        await using (var catalog = Dashboard.System.Catalog())
            Assert.Equal(0, await catalog.AuditEntries.CountAsync(entry => entry.Action == "backup.trigger"));
        Assert.Equal(0, (await Dashboard.Infrastructure.Broker.QueueDepthsAsync(Dashboard.System.VirtualHost)).Values.Sum());

        // The same pages show the actions to an administrator: the reader's lack of them is the roles', not the pages'.
        var admin = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(admin, Api, TestUser.AdminAdam);
        await InPage.OpenAsync(admin, Api, $"/runs/{seeded.AlphaLast}", "run");
        foreach (var action in new[] { "download", "restore", "delete-artifact" })
            Assert.Equal(1, await admin.Locator($"[data-action={action}]").CountAsync());
    }

    [Fact]
    public async Task The_charts_draw_every_point_the_catalog_holds_the_drop_is_flagged_and_the_calendar_is_the_history_s()
    {
        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.ReaderAnn);
        await InPage.OpenAsync(page, Api, "/sources/sizes", "source");

        List<BackupRun> runs;
        await using (var catalog = Dashboard.System.Catalog())
            runs = await catalog.BackupRuns.AsNoTracking().Where(r => r.Source == "sizes").ToListAsync();
        var expected = runs.SelectMany(r => new[]
            {
                Point(r.CorrelationId, "stored", r.SizeBytes!.Value),
                Point(r.CorrelationId, "raw", r.RawSizeBytes!.Value),
                Point(r.CorrelationId, "duration", (r.CompletedAt!.Value - r.StartedAt!.Value).TotalSeconds),
            })
            .Append(Point(seeded.Verified, "recovery", SeededCatalog.RecoverySeconds))
            .Order().ToList();
        Assert.Equal(12 * 3 + 1, expected.Count);
        Assert.Equal(expected, (await PointsAsync(page)).Order());

        var history = await InPage.GetJsonAsync(page, "/api/v1/sources/sizes/history?days=30");
        var fromHistory = history.GetProperty("runs").EnumerateArray().SelectMany(r => new[]
            {
                ("stored", r.GetProperty("sizeBytes")), ("raw", r.GetProperty("rawBytes")),
                ("duration", r.GetProperty("dumpSeconds")), ("recovery", r.GetProperty("recoverySeconds")),
            }
            .Where(v => v.Item2.ValueKind == JsonValueKind.Number)
            .Select(v => Point(r.GetProperty("runId").GetGuid(), v.Item1, v.Item2.GetDouble()))).Order();
        Assert.Equal(expected, fromHistory);

        var flagged = await page.Locator("circle[data-outlier=true]").EvaluateAllAsync<string[]>("cs => cs.map(c => `${c.dataset.runId} ${c.dataset.series}`)");
        Assert.Equal([$"{seeded.Drop} stored"], flagged);
        Assert.Equal(seeded.Drop.ToString(), await page.Locator("[data-testid=outliers] li[data-metric=size]").GetAttributeAsync("data-run-id"));
        Assert.Equal(expected.Count, await page.Locator("table[data-chart-table] tbody tr").CountAsync());

        var days = await page.Locator("[data-testid=calendar] [data-date]").EvaluateAllAsync<string[]>("ds => ds.map(d => `${d.dataset.date} ${d.dataset.outcome}`)");
        Assert.Equal(history.GetProperty("days").EnumerateArray().Select(d => $"{d.GetProperty("date").GetString()} {d.GetProperty("outcome").GetString()}"), days);
        Assert.Equal(30, days.Length);

        await page.ClickAsync("[data-range='7']");
        await InPage.DrawnAsync(page, "source");
        await page.Locator("[data-range='7'][aria-pressed=true]").WaitForAsync();
        var lastWeek = runs.Where(r => r.CompletedAt >= DateTimeOffset.UtcNow.Date.AddDays(-6)).Select(r => r.CorrelationId).ToHashSet();
        Assert.Equal(6, lastWeek.Count);
        Assert.Equal(expected.Where(p => lastWeek.Contains(p.RunId)), (await PointsAsync(page)).Order());
        Assert.Equal(7, await page.Locator("[data-testid=calendar] [data-date]").CountAsync());
    }

    [Fact]
    public async Task The_run_page_shows_the_data_warnings_the_API_lists_and_a_run_without_any_shows_none()
    {
        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.ReaderAnn);
        await InPage.OpenAsync(page, Api, $"/runs/{seeded.AlphaLast}", "run");

        var listed = (await InPage.GetJsonAsync(page, $"/api/v1/runs/{seeded.AlphaLast}")).GetProperty("run").GetProperty("dataWarnings")
            .EnumerateArray().Select(w => $"{w.GetProperty("schema").GetString()}.{w.GetProperty("table").GetString()} {w.GetProperty("finding").GetString()}");
        var shown = await page.Locator("[data-testid=data-warnings] tbody tr").EvaluateAllAsync<string[]>(
            "rows => rows.map(r => `${r.dataset.table} ${r.dataset.finding}`)");
        Assert.Equal(["billing.invoices emptied", "public.coupons disappeared"], shown);
        Assert.Equal(listed, shown);
        var text = await page.Locator("[data-testid=data-warnings]").InnerTextAsync();
        Assert.Contains("was this table emptied on purpose?", text);
        Assert.Contains("2,000", text);
        Assert.Equal("Completed", await page.Locator("[data-testid=run-state]").GetAttributeAsync("data-state"));

        await InPage.OpenAsync(page, Api, $"/runs/{seeded.EchoFailed}", "run");
        Assert.Equal(0, await page.Locator("[data-testid=data-warnings]").CountAsync());
    }

    [Fact]
    public async Task Every_page_is_written_at_1280_and_390_pixels_and_the_phone_width_does_not_scroll_sideways()
    {
        var pages = new[] { ("overview", "/", "overview"), ("source", "/sources/sizes", "source"), ("runs", "/runs", "runs"),
            ("run", $"/runs/{seeded.AlphaLast}", "run"), ("run-failed", $"/runs/{seeded.EchoFailed}", "run") };
        foreach (var width in new[] { 1280, 390 })
        {
            var page = await Dashboard.Browser.NewPageAsync(width);
            await Browser.SignInAsync(page, Api, TestUser.AdminAdam);
            foreach (var (name, path, kind) in pages)
            {
                await InPage.OpenAsync(page, Api, path, kind);
                await Browser.ScreenshotAsync(page, $"{name}-{width}");
                var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
                Assert.True(scrollWidth <= width, $"{path} is {scrollWidth} px wide at {width} px");
            }
        }
    }

    static ChartPoint Point(Guid runId, string series, double value) => new(runId, series, value);

    static async Task<List<ChartPoint>> PointsAsync(IPage page) =>
        (await page.Locator("svg[data-chart] circle[data-run-id]").EvaluateAllAsync<string[][]>(
            "cs => cs.map(c => [c.dataset.runId, c.dataset.series, c.dataset.value])"))
        .Select(p => Point(Guid.Parse(p[0]), p[1], double.Parse(p[2], CultureInfo.InvariantCulture))).ToList();

    record ChartPoint(Guid RunId, string Series, double Value) : IComparable<ChartPoint>
    {
        public int CompareTo(ChartPoint? other) =>
            other is null ? 1 : (RunId, Series, Value).CompareTo((other.RunId, other.Series, other.Value));
    }
}

/// <summary>
/// The signed-in dashboard over a catalog of known runs: alpha healthy (its last backup with two data warnings), bravo disabled, charlie unverified (drills on,
/// nothing verified), delta stale, echo failing; sizes: 12 daily backups, steady but for one size drop, one verified by a drill.
/// </summary>
public sealed class SeededCatalog : IAsyncLifetime
{
    public static readonly string[] Judged = ["alpha", "bravo", "charlie", "delta", "echo"];
    public const double RecoverySeconds = 42.5;
    static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    public SignedInDashboard Dashboard { get; } = new();
    public Guid AlphaLast { get; } = Guid.NewGuid();
    public Guid EchoFailed { get; } = Guid.NewGuid();
    public Guid Drop { get; } = Guid.NewGuid();
    public Guid Verified { get; } = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        await Dashboard.InitializeAsync();
        var system = Dashboard.System;
        var noonToday = new DateTimeOffset(Now.UtcDateTime.Date.AddHours(12), TimeSpan.Zero);
        foreach (var source in Judged)
            await ApiHost.AddScheduleAsync(system, source, cron: "0 12 * * *", since: Now.AddDays(-30));
        await ApiHost.AddScheduleAsync(system, "sizes", cron: "0 12 * * *", since: noonToday.AddDays(-12).AddHours(-1));
        await using var catalog = system.Catalog();
        Add(catalog, Guid.NewGuid(), "alpha", BackupRunStates.Delivered, Now.AddHours(-25), 1_000, 30);
        Add(catalog, AlphaLast, "alpha", BackupRunStates.Completed, Now.AddHours(-1), 1_100, 30);
        Add(catalog, Guid.NewGuid(), "bravo", BackupRunStates.Failed, Now.AddHours(-5), null, 30);
        Add(catalog, Guid.NewGuid(), "charlie", BackupRunStates.Completed, Now.AddHours(-1), 2_000, 30);
        Add(catalog, Guid.NewGuid(), "delta", BackupRunStates.Completed, Now.AddDays(-3), 3_000, 30);
        Add(catalog, Guid.NewGuid(), "echo", BackupRunStates.Completed, Now.AddDays(-2), 500, 30);
        Add(catalog, EchoFailed, "echo", BackupRunStates.Failed, Now.AddHours(-1), null, 30);
        for (var daysAgo = 12; daysAgo >= 1; daysAgo--)
        {
            var id = daysAgo == 3 ? Drop : daysAgo == 2 ? Verified : Guid.NewGuid();
            Add(catalog, id, "sizes", BackupRunStates.Completed, noonToday.AddDays(-daysAgo),
                daysAgo == 3 ? 1_200 : 10_000 + (daysAgo % 3 - 1) * 100, 30 + daysAgo % 3);
        }
        // alpha's last backup found a table emptied and another gone (the catalog's row-count check; a warning, still Completed).
        catalog.BackupRuns.Local.Single(r => r.CorrelationId == AlphaLast).DataWarnings = """
            [{"schema":"billing","table":"invoices","finding":"emptied","previousRows":2000,"rows":0},
             {"schema":"public","table":"coupons","finding":"disappeared","previousRows":40,"rows":null}]
            """;
        await catalog.SaveChangesAsync();

        await catalog.Schedules.Where(s => s.Source == "bravo").ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, false));
        var verifiedAt = noonToday.AddDays(-2).AddMinutes(10);
        await catalog.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES ('charlie', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddDays(-20)});
            INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, started_at, finished_at, recovery_seconds,
                rto_target_seconds, updated_at)
            VALUES ({Verified}, 'sizes', 'sizes/x.dump.zst', 'passed', {verifiedAt}, {verifiedAt}, {verifiedAt}, {RecoverySeconds}, 1800, {verifiedAt})
            """);
    }

    /// <summary>A run that ended at <paramref name="endedAt"/> after a dump of <paramref name="dumpSeconds"/>; stored with a raw size 4 times its size.</summary>
    static void Add(CatalogDbContext catalog, Guid id, string source, string state, DateTimeOffset endedAt, long? size, int dumpSeconds)
    {
        var failed = state == BackupRunStates.Failed;
        catalog.BackupRuns.Add(new BackupRun
        {
            CorrelationId = id, Source = source, CurrentState = state, RequestedAt = endedAt.AddSeconds(-dumpSeconds - 5),
            StartedAt = endedAt.AddSeconds(-dumpSeconds), CompletedAt = failed ? null : endedAt, FailedAt = failed ? endedAt : null,
            FailureCode = failed ? "DumpFailed" : null,
            FailureReason = failed ? "pg_dump: error: connection to server at \"db\" failed: Connection refused" : null,
            ArtifactKey = failed ? null : Backup.Storage.ArtifactKey.Create(source, id, endedAt).Value,
            SizeBytes = size, RawSizeBytes = size * 4, UpdatedAt = endedAt,
        });
    }

    public Task DisposeAsync() => Dashboard.DisposeAsync();
}
