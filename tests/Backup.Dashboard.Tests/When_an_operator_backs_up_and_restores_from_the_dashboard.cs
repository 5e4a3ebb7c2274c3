using System.Globalization;
using System.Text.RegularExpressions;
using Backup.Dashboard.Tests.Harness;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests;

/// <summary>
/// The dashboard's actions on the real services (catalog, dumper, restorer in the test process, pg_dump and pg_restore
/// for real): "Back up now" on the overview, the run page following the run to Completed without a reload and listing
/// the source's real row counts, and a restore from the run page into a new database whose tables hold those rows.
/// </summary>
[Collection(DashboardCollections.Actions)]
public sealed class When_an_operator_backs_up_and_restores_from_the_dashboard(DashboardWithServices services)
    : IClassFixture<DashboardWithServices>
{
    SignedInDashboard Dashboard => services.Dashboard;
    BackupSystem System => services.Dashboard.System;
    Uri Api => Dashboard.Api.Address;

    [Fact]
    public async Task Back_up_now_on_the_overview_leads_to_the_run_page_which_follows_the_run_to_Completed_without_a_reload()
    {
        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.OperatorOlga);
        await InPage.DrawnAsync(page, "overview");
        await page.EvaluateAsync("window.testMarker = 'the same document'");
        var loads = 0;
        page.Load += (_, _) => loads++;

        await page.ClickAsync("[data-action=backup-now][data-source=demo]");
        await page.WaitForURLAsync(new Regex("/runs/[0-9a-f-]{36}$"));
        var runId = Guid.Parse(page.Url[^36..]);
        await page.Locator("[data-testid=run-state][data-state=Completed]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });

        Assert.Equal("the same document", await page.EvaluateAsync<string>("window.testMarker"));
        Assert.Equal(0, loads);
        Assert.Equal("Completed", (await page.Locator("[data-testid=run-state]").InnerTextAsync()).Trim());
        Assert.Equal(BackupRunStates.Completed, (await System.RunAsync(runId))?.CurrentState);
        Assert.Contains("Completed", await page.Locator("[data-testid=timeline] li").EvaluateAllAsync<string[]>("lis => lis.map(li => li.dataset.to)"));

        var manifest = await ManifestAsync(page);
        Assert.Contains("public.customers", manifest.Keys);
        foreach (var (table, rows) in manifest)
            Assert.Equal(await System.Postgres.ScalarAsync<long>(System.SourceDatabase, $"SELECT count(*) FROM {table}"), rows);
    }

    [Fact]
    public async Task A_restore_from_the_run_page_lands_in_a_new_database_with_the_manifest_s_row_counts()
    {
        var runId = Guid.NewGuid();
        await using (var rabbit = await RawRabbit.ConnectAsync(System))
            await rabbit.RequestBackupAsync(runId, "demo");
        await System.WaitForStateAsync(runId, BackupRunStates.Completed);

        var page = await Dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, Api, TestUser.OperatorOlga);
        await InPage.OpenAsync(page, Api, $"/runs/{runId}", "run");
        var manifest = await ManifestAsync(page);

        await page.ClickAsync($"[data-action=restore][data-run-id='{runId}']");
        var dialog = page.Locator("dialog[data-testid=restore-dialog]");
        Assert.Matches("^demo_restore_[0-9]{12}$", await dialog.Locator("input[name=targetDatabase]").InputValueAsync());
        var target = System.NewDatabaseName();
        await dialog.Locator("input[name=targetDatabase]").FillAsync(target);
        await dialog.Locator("[data-action=confirm-restore]").ClickAsync();
        await page.WaitForURLAsync(new Regex("/restores/[0-9a-f-]{36}$"));
        await page.Locator("[data-testid=restore-state][data-state=Succeeded]").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
        await InPage.DrawnAsync(page, "restore");

        var restored = await page.Locator("[data-testid=restore-tables] tbody tr[data-table]").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [r.dataset.table, r.dataset.rows])");
        Assert.Equal(manifest.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value}"), restored.Select(r => $"{r[0]} {r[1]}").Order());
        foreach (var (table, rows) in manifest)
            Assert.Equal(rows, await System.Postgres.ScalarAsync<long>(target, $"SELECT count(*) FROM {table}"));
        Assert.Equal($"/runs/{runId}", await page.Locator("[data-testid=restore-run]").GetAttributeAsync("href"));

        foreach (var width in new[] { 1280, 390 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await Browser.ScreenshotAsync(page, $"restore-{width}");
            Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= width, $"the restore page is wider than {width} px");
        }
    }

    /// <summary>The run page's manifest: table (schema.name) to rows.</summary>
    static async Task<Dictionary<string, long>> ManifestAsync(IPage page) =>
        (await page.Locator("[data-testid=manifest] tbody tr[data-table]").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [r.dataset.table, r.dataset.rows])"))
        .ToDictionary(r => r[0], r => long.Parse(r[1], CultureInfo.InvariantCulture));
}

/// <summary>The signed-in dashboard with the catalog, dumper and restorer running on its system.</summary>
public sealed class DashboardWithServices : IAsyncLifetime
{
    public SignedInDashboard Dashboard { get; } = new();

    public async Task InitializeAsync()
    {
        await Dashboard.InitializeAsync();
        await Dashboard.System.StartCatalog();
        await Dashboard.System.StartDumper();
        await Dashboard.System.StartRestorer();
    }

    public Task DisposeAsync() => Dashboard.DisposeAsync();
}
