using System.Text.Json;
using Backup.Dashboard.Tests.Harness;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Backup.Dashboard.Tests;

/// <summary>
/// The schedule editor of a source page (admin): a bad cron is refused in place (the scheduler's message, the field
/// marked invalid, the catalog's row unchanged even when saved), a good one previews the API's next five occurrences
/// and saving it changes the row and audits the change.
/// </summary>
[Collection(DashboardCollections.Actions)]
public sealed class When_an_administrator_edits_a_schedule_on_the_dashboard(SignedInDashboard dashboard) : IClassFixture<SignedInDashboard>
{
    [Fact]
    public async Task A_bad_cron_is_refused_in_place_and_a_good_one_previews_the_API_s_occurrences_and_is_saved_and_audited()
    {
        var api = dashboard.Api.Address;
        var page = await dashboard.Browser.NewPageAsync();
        await Browser.SignInAsync(page, api, TestUser.AdminAdam);
        await InPage.OpenAsync(page, api, "/sources/demo", "source");
        var form = page.Locator("form[data-testid=schedule-form]");
        var cron = form.Locator("input[name=cron]");
        var before = await ScheduleAsync();

        await cron.FillAsync("61 2 * * *");
        var error = page.Locator("[data-testid=cron-error][role=alert]");
        await error.WaitForAsync();
        Assert.Equal("true", await cron.GetAttributeAsync("aria-invalid"));
        var refusal = await InPage.FetchAsync(page, "GET", "/api/v1/schedules/preview?cron=61%202%20*%20*%20*&timeZone=Etc%2FUTC");
        Assert.Equal(400, refusal.Status);
        var message = JsonDocument.Parse(refusal.Body).RootElement.GetProperty("detail").GetString();
        Assert.Equal(message, (await error.InnerTextAsync()).Trim());

        var put = await page.RunAndWaitForResponseAsync(() => form.Locator("[data-action=save-schedule]").ClickAsync(),
            response => response.Url.EndsWith("/api/v1/sources/demo/schedule", StringComparison.Ordinal) && response.Request.Method == "PUT");
        Assert.Equal(400, put.Status);
        var refused = (await put.JsonAsync())!.Value;
        Assert.Equal("cron", refused.GetProperty("field").GetString());
        await IntegrationTests.Infrastructure.Eventually.True(async () =>
                await error.CountAsync() == 1 && (await error.InnerTextAsync()).Trim() == refused.GetProperty("detail").GetString(),
            "the refusal's message in place");
        Assert.Equal("true", await cron.GetAttributeAsync("aria-invalid"));
        Assert.Equal(before, await ScheduleAsync());

        await cron.FillAsync("30 3 * * 1-5");
        await form.Locator("input[name=timeZone]").FillAsync("Europe/Berlin");
        var occurrences = page.Locator("[data-testid=next-occurrences] li[data-at]");
        var preview = await InPage.GetJsonAsync(page, "/api/v1/schedules/preview?cron=30%203%20*%20*%201-5&timeZone=Europe%2FBerlin&count=5");
        var expected = preview.GetProperty("next").EnumerateArray().Select(at => at.GetString()).ToArray();
        Assert.Equal(5, expected.Length);
        await IntegrationTests.Infrastructure.Eventually.True(async () =>
                (await occurrences.EvaluateAllAsync<string[]>("lis => lis.map(li => li.dataset.at)")).SequenceEqual(expected),
            "the editor to preview the API's five next occurrences");
        Assert.Null(await cron.GetAttributeAsync("aria-invalid"));
        Assert.Equal(0, await page.Locator("[data-testid=cron-error]").CountAsync());

        await form.Locator("[data-action=save-schedule]").ClickAsync();
        await form.Locator("[role=status]").WaitForAsync();
        var after = await ScheduleAsync();
        Assert.Equal(("30 3 * * 1-5", "Europe/Berlin", true, "api"), (after.Cron, after.TimeZone, after.Enabled, after.Origin));
        await using var catalog = dashboard.System.Catalog();
        var audited = await catalog.AuditEntries.AsNoTracking().Where(e => e.Action == "schedule.change").ToListAsync();
        var entry = Assert.Single(audited);
        Assert.Equal(("admin-adam", "demo", 200), (entry.Actor, entry.Target, entry.Status));
    }

    async Task<(string Cron, string TimeZone, bool Enabled, string Origin, DateTimeOffset UpdatedAt)> ScheduleAsync()
    {
        await using var catalog = dashboard.System.Catalog();
        var row = await catalog.Schedules.AsNoTracking().SingleAsync(s => s.Source == "demo");
        return (row.Cron, row.TimeZone, row.Enabled, row.Origin, row.UpdatedAt);
    }
}
