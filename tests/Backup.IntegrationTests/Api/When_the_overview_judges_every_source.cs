using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// GET /api/v1/overview on the real API over a real catalog seeded with runs of known states, sizes and times: each
/// source's state by precedence (disabled, failing, stale, unverified, healthy) with its reason, problems first then by
/// name, the summary's counts and stored bytes, a source's last backup with pg_dump's raw size and the size change, its
/// last finished run and its running run. Also: a reader may call the dashboard's three data endpoints, no token is 401.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_overview_judges_every_source(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    HttpClient reader = null!;

    static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    readonly Guid alphaPrevious = Guid.NewGuid(), alphaLast = Guid.NewGuid(), alphaRunning = Guid.NewGuid(), alphaExpired = Guid.NewGuid();
    readonly Guid echoGood = Guid.NewGuid(), echoFailed = Guid.NewGuid(), zuluTimedOut = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        foreach (var source in new[] { "alpha", "bravo", "charlie", "delta", "echo", "zulu" })
            await ApiHost.AddScheduleAsync(system, source, since: Now.AddDays(-30));

        await using (var catalog = system.Catalog())
        {
            // alpha: healthy (last backup 1 h ago, drills off), a backup running now, and an expired one.
            Add(catalog, alphaExpired, "alpha", BackupRunStates.Expired, TimeSpan.FromDays(10), 5_000);
            Add(catalog, alphaPrevious, "alpha", BackupRunStates.Delivered, TimeSpan.FromHours(25), 1_000);
            Add(catalog, alphaLast, "alpha", BackupRunStates.Completed, TimeSpan.FromHours(1), 1_100);
            Add(catalog, alphaRunning, "alpha", BackupRunStates.Running, TimeSpan.FromMinutes(1), null);
            // bravo: disabled, though its newest run failed.
            Add(catalog, Guid.NewGuid(), "bravo", BackupRunStates.Failed, TimeSpan.FromHours(5), null);
            // charlie: drills on for 20 days, a backup 1 h ago that no drill has verified: unverified.
            Add(catalog, Guid.NewGuid(), "charlie", BackupRunStates.Completed, TimeSpan.FromHours(1), 2_000);
            // delta: last backup 3 days ago on a daily schedule: stale.
            Add(catalog, Guid.NewGuid(), "delta", BackupRunStates.Completed, TimeSpan.FromDays(3), 3_000);
            // echo: a backup 2 days ago, then a failed run 1 h ago: failing (not stale: failing comes first).
            Add(catalog, echoGood, "echo", BackupRunStates.Completed, TimeSpan.FromDays(2), 500);
            Add(catalog, echoFailed, "echo", BackupRunStates.Failed, TimeSpan.FromHours(1), null);
            // zulu: its only run timed out 2 h ago: failing.
            Add(catalog, zuluTimedOut, "zulu", BackupRunStates.TimedOut, TimeSpan.FromHours(2), null);
            await catalog.SaveChangesAsync();

            await catalog.Schedules.Where(s => s.Source == "bravo").ExecuteUpdateAsync(s => s.SetProperty(x => x.Enabled, false));
            await catalog.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES ('charlie', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddDays(-20)})
                """);
        }

        api = new ApiHost(system);
        reader = api.ClientAs("reader-1", "backup.reader");
    }

    static void Add(CatalogDbContext catalog, Guid id, string source, string state, TimeSpan ago, long? size)
    {
        var at = Now - ago;
        var (failed, timedOut) = (state == BackupRunStates.Failed, state == BackupRunStates.TimedOut);
        var stored = size is not null;
        catalog.BackupRuns.Add(new BackupRun
        {
            CorrelationId = id, Source = source, CurrentState = state, RequestedAt = at.AddMinutes(-5), StartedAt = at.AddMinutes(-4),
            CompletedAt = stored ? at : null, FailedAt = failed ? at : null, TimedOutAt = timedOut ? at : null,
            FailureCode = failed ? "DumpFailed" : timedOut ? "TimedOut" : null,
            FailureReason = failed ? "pg_dump: error: connection to server at \"db\" failed: Connection refused" : null,
            ArtifactKey = stored ? Backup.Storage.ArtifactKey.Create(source, id, at).Value : null,
            SizeBytes = size, RawSizeBytes = size * 4, UpdatedAt = at,
        });
    }

    public async Task DisposeAsync()
    {
        reader.Dispose();
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Each_source_gets_its_state_by_precedence_problems_first_then_by_name_and_the_summary_counts_them()
    {
        var overview = await reader.GetFromJsonAsync<JsonElement>("/api/v1/overview");

        var sources = overview.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal(["echo failing", "zulu failing", "delta stale", "charlie unverified", "alpha healthy", "bravo disabled"],
            sources.Select(s => $"{s.GetProperty("source").GetString()} {s.GetProperty("state").GetString()}"));
        var summary = overview.GetProperty("summary");
        Assert.Equal((6, 1, 2, 1, 1, 1), (summary.GetProperty("sources").GetInt32(), summary.GetProperty("healthy").GetInt32(),
            summary.GetProperty("failing").GetInt32(), summary.GetProperty("stale").GetInt32(), summary.GetProperty("unverified").GetInt32(),
            summary.GetProperty("disabled").GetInt32()));
        // alpha 1 h and charlie 1 h ago; echo failed 1 h, zulu timed out 2 h, bravo failed 5 h ago.
        Assert.Equal((2, 3), (summary.GetProperty("backupsLast24h").GetInt32(), summary.GetProperty("failuresLast24h").GetInt32()));
        // Artifacts still stored (Completed, Delivered): alpha 1,000 + 1,100, charlie 2,000, delta 3,000, echo 500; not alpha's expired 5,000.
        Assert.Equal(7_600, summary.GetProperty("storedBytes").GetInt64());
        Assert.InRange(overview.GetProperty("generatedAt").GetDateTimeOffset(), Now, DateTimeOffset.UtcNow);

        var reasons = sources.ToDictionary(s => s.GetProperty("source").GetString()!, s => s.GetProperty("reason").GetString()!);
        Assert.Contains("(DumpFailed)", reasons["echo"]);
        Assert.Contains("Connection refused", reasons["echo"]);
        Assert.Contains("timed out", reasons["zulu"]);
        Assert.Contains("check that the scheduler and a dumper are running", reasons["delta"]);
        Assert.Contains("restore drill", reasons["charlie"]);
        Assert.Contains("disabled", reasons["bravo"]);
        // 1 h and the minutes the test itself has taken since it seeded the run (more than one on a busy machine).
        var age = System.Text.RegularExpressions.Regex.Match(reasons["alpha"], @"^Its last backup completed 1 h (\d+) min ago");
        Assert.True(age.Success, reasons["alpha"]);
        Assert.InRange(int.Parse(age.Groups[1].Value), 0, (int)(DateTimeOffset.UtcNow - Now).TotalMinutes);
    }

    [Fact]
    public async Task A_source_shows_its_last_backup_with_raw_size_and_size_change_its_last_finished_run_and_its_running_run()
    {
        var sources = (await reader.GetFromJsonAsync<JsonElement>("/api/v1/overview")).GetProperty("sources").EnumerateArray()
            .ToDictionary(s => s.GetProperty("source").GetString()!);

        var alpha = sources["alpha"];
        var last = alpha.GetProperty("lastBackup");
        Assert.Equal(alphaLast, last.GetProperty("runId").GetGuid());
        Assert.Equal(Now.AddHours(-1), last.GetProperty("completedAt").GetDateTimeOffset());
        Assert.Equal((1_100, 4_400), (last.GetProperty("sizeBytes").GetInt64(), last.GetProperty("rawBytes").GetInt64()));
        Assert.Equal(0.1, last.GetProperty("sizeChange").GetDouble(), 9); // (1,100 − 1,000) / 1,000
        Assert.InRange(last.GetProperty("ageSeconds").GetInt64(), 3_600, 3_600 + (long)(DateTimeOffset.UtcNow - Now).TotalSeconds + 1);
        Assert.Equal((alphaLast, "Completed"), (alpha.GetProperty("lastRun").GetProperty("runId").GetGuid(),
            alpha.GetProperty("lastRun").GetProperty("state").GetString()));
        Assert.Equal(alphaRunning, alpha.GetProperty("runningRunId").GetGuid());
        Assert.Equal(JsonValueKind.Null, alpha.GetProperty("lastVerified").ValueKind);
        Assert.Equal(("0 2 * * *", "Etc/UTC", true), (alpha.GetProperty("cron").GetString(), alpha.GetProperty("timeZone").GetString(),
            alpha.GetProperty("enabled").GetBoolean()));
        Assert.Equal(JsonValueKind.String, alpha.GetProperty("nextRunAt").ValueKind);

        var echo = sources["echo"];
        var failed = echo.GetProperty("lastRun");
        Assert.Equal((echoFailed, "Failed", "DumpFailed"), (failed.GetProperty("runId").GetGuid(), failed.GetProperty("state").GetString(),
            failed.GetProperty("failureCode").GetString()));
        Assert.Equal(Now.AddHours(-1), failed.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(echoGood, echo.GetProperty("lastBackup").GetProperty("runId").GetGuid());
        Assert.Equal(JsonValueKind.Null, echo.GetProperty("lastBackup").GetProperty("sizeChange").ValueKind); // no previous backup
        Assert.Equal(JsonValueKind.Null, echo.GetProperty("runningRunId").ValueKind);

        var zulu = sources["zulu"];
        Assert.Equal(JsonValueKind.Null, zulu.GetProperty("lastBackup").ValueKind);
        Assert.Equal((zuluTimedOut, "TimedOut"), (zulu.GetProperty("lastRun").GetProperty("runId").GetGuid(),
            zulu.GetProperty("lastRun").GetProperty("state").GetString()));
        Assert.Equal(Now.AddHours(-2), zulu.GetProperty("lastRun").GetProperty("at").GetDateTimeOffset());

        Assert.Equal(JsonValueKind.Null, sources["bravo"].GetProperty("nextRunAt").ValueKind);
    }

    [Fact]
    public async Task A_reader_may_call_the_three_dashboard_endpoints_and_a_caller_without_a_token_gets_401()
    {
        string[] paths = ["/api/v1/overview", "/api/v1/sources/alpha/history", "/api/v1/schedules/preview?cron=0%202%20*%20*%20*&timeZone=Etc/UTC"];
        using var anonymous = api.CreateClient();
        foreach (var path in paths)
        {
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }
    }
}
