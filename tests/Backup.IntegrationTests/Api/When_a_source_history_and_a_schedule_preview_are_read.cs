using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// GET /api/v1/sources/{source}/history and GET /api/v1/schedules/preview on the real API over a real catalog. The
/// history's source runs at 01:00 in Asia/Tokyo (16:00 UTC the day before), so each run of a Tokyo day was requested on
/// the previous UTC day: the window, the days and the missed occurrence follow the source's zone. Its sizes are steady
/// (with 8 steady backups before the window) but for one drop, which alone is flagged; a source with 3 backups before a
/// drop has too little history to flag it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_source_history_and_a_schedule_preview_are_read(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    HttpClient reader = null!;

    static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
    static readonly DateOnly Today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Tokyo).DateTime);

    readonly Dictionary<int, Guid> windowRuns = []; // days before today -> run
    readonly Guid failed = Guid.NewGuid();
    readonly Guid freshDrop = Guid.NewGuid();

    /// <summary>01:00 (plus <paramref name="minutes"/>) in Tokyo, <paramref name="daysAgo"/> days before today: 16:00 UTC the day before.</summary>
    static DateTimeOffset TokyoAt(int daysAgo, int minutes = 0) =>
        new DateTimeOffset(Today.AddDays(-daysAgo).ToDateTime(new TimeOnly(1, 0)), TimeSpan.FromHours(9)).AddMinutes(minutes).ToUniversalTime();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "tokyo", cron: "0 1 * * *", timeZone: "Asia/Tokyo", since: TokyoAt(30));
        await ApiHost.AddScheduleAsync(system, "fresh", since: DateTimeOffset.UtcNow.AddDays(-30));

        await using (var catalog = system.Catalog())
        {
            for (var daysAgo = 20; daysAgo >= 13; daysAgo--) // the baseline, before the window
                Add(catalog, Guid.NewGuid(), "tokyo", BackupRunStates.Completed, TokyoAt(daysAgo), 10_000 + (daysAgo % 3 - 1) * 100);
            // The window (7 days): 6 success, 5 failure, 4 missed (no run), 3 a size drop, 2 and 1 success, today a run at 00:00:10.
            foreach (var (daysAgo, size) in new[] { (6, 10_000L), (3, 1_200L), (2, 10_100L), (1, 9_900L) })
                Add(catalog, windowRuns[daysAgo] = Guid.NewGuid(), "tokyo", BackupRunStates.Completed, TokyoAt(daysAgo), size);
            Add(catalog, failed, "tokyo", BackupRunStates.Failed, TokyoAt(5), null);
            Add(catalog, windowRuns[0] = Guid.NewGuid(), "tokyo", BackupRunStates.Completed, TokyoAt(0, minutes: -60).AddSeconds(10), 10_000);

            for (var daysAgo = 4; daysAgo >= 2; daysAgo--)
                Add(catalog, Guid.NewGuid(), "fresh", BackupRunStates.Completed, DateTimeOffset.UtcNow.AddDays(-daysAgo), 10_000);
            Add(catalog, freshDrop, "fresh", BackupRunStates.Completed, DateTimeOffset.UtcNow.AddDays(-1), 100);
            await catalog.SaveChangesAsync();

            await catalog.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, started_at, finished_at, recovery_seconds,
                    rto_target_seconds, updated_at)
                VALUES ({windowRuns[1]}, 'tokyo', 'tokyo/x.dump.zst', 'passed', {TokyoAt(1, 5)}, {TokyoAt(1, 6)}, {TokyoAt(1, 7)}, 42.5, 1800, {TokyoAt(1, 7)})
                """);
        }

        api = new ApiHost(system);
        reader = api.ClientAs("reader-1", "backup.reader");
    }

    /// <summary>A run requested at <paramref name="requestedAt"/>, started 5 s later, its dump 3 s long.</summary>
    static void Add(CatalogDbContext catalog, Guid id, string source, string state, DateTimeOffset requestedAt, long? size)
    {
        var failedRun = state == BackupRunStates.Failed;
        var (started, ended) = (requestedAt.AddSeconds(5), requestedAt.AddSeconds(8));
        catalog.BackupRuns.Add(new BackupRun
        {
            CorrelationId = id, Source = source, CurrentState = state, RequestedAt = requestedAt, StartedAt = started,
            CompletedAt = failedRun ? null : ended, FailedAt = failedRun ? ended : null, FailureCode = failedRun ? "DumpFailed" : null,
            ArtifactKey = failedRun ? null : Backup.Storage.ArtifactKey.Create(source, id, ended).Value,
            SizeBytes = size, RawSizeBytes = size * 4, UpdatedAt = ended,
        });
    }

    public async Task DisposeAsync()
    {
        reader.Dispose();
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_days_follow_the_sources_time_zone_with_a_success_a_failure_and_a_missed_day()
    {
        var history = await reader.GetFromJsonAsync<JsonElement>("/api/v1/sources/tokyo/history?days=7");

        Assert.Equal(("tokyo", "Asia/Tokyo"), (history.GetProperty("source").GetString(), history.GetProperty("timeZone").GetString()));
        // The window starts at midnight in Tokyo 6 days before today: 15:00 UTC the day before.
        var from = new DateTimeOffset(Today.AddDays(-6).ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(9));
        Assert.Equal(from, history.GetProperty("from").GetDateTimeOffset());
        var days = history.GetProperty("days").EnumerateArray()
            .Select(d => $"{d.GetProperty("date").GetString()} {d.GetProperty("outcome").GetString()} {d.GetProperty("runs").GetInt32()}");
        Assert.Equal(new[] { (6, "success 1"), (5, "failure 1"), (4, "missed 0"), (3, "success 1"), (2, "success 1"), (1, "success 1"), (0, "success 1") }
            .Select(d => $"{Today.AddDays(-d.Item1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} {d.Item2}"), days);
    }

    [Fact]
    public async Task The_runs_of_the_window_come_oldest_first_with_sizes_durations_and_verification_and_only_the_drop_is_flagged()
    {
        var runs = (await reader.GetFromJsonAsync<JsonElement>("/api/v1/sources/tokyo/history?days=7")).GetProperty("runs").EnumerateArray().ToList();

        // The run of 6 days ago was requested on the UTC day before the window's first Tokyo day, and is in it.
        Assert.Equal([windowRuns[6], failed, windowRuns[3], windowRuns[2], windowRuns[1], windowRuns[0]], runs.Select(r => r.GetProperty("runId").GetGuid()));
        Assert.Equal(TokyoAt(6), runs[0].GetProperty("requestedAt").GetDateTimeOffset());
        Assert.Equal((10_000, 40_000, 3d), (runs[0].GetProperty("sizeBytes").GetInt64(), runs[0].GetProperty("rawBytes").GetInt64(),
            runs[0].GetProperty("dumpSeconds").GetDouble()));
        Assert.Equal("Failed", runs[1].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, runs[1].GetProperty("dumpSeconds").ValueKind);

        var verified = runs[4];
        Assert.Equal(("passed", 42.5, 1800d), (verified.GetProperty("verification").GetString(), verified.GetProperty("recoverySeconds").GetDouble(),
            verified.GetProperty("rtoTargetSeconds").GetDouble()));
        Assert.Equal(JsonValueKind.Null, runs[0].GetProperty("verification").ValueKind);

        var flagged = runs.Where(r => r.GetProperty("outliers").GetArrayLength() > 0).ToList();
        var drop = Assert.Single(Assert.Single(flagged).GetProperty("outliers").EnumerateArray());
        Assert.Equal(windowRuns[3], flagged[0].GetProperty("runId").GetGuid());
        Assert.Equal(("size", "drop", 1_200d), (drop.GetProperty("metric").GetString(), drop.GetProperty("kind").GetString(),
            drop.GetProperty("value").GetDouble()));
        Assert.Equal((8_000d, 12_000d), (drop.GetProperty("expectedLow").GetDouble(), drop.GetProperty("expectedHigh").GetDouble()));
        Assert.Equal("Size 1.2 kB, far below the usual 8 kB–12 kB.", drop.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_drop_after_too_little_history_is_not_flagged()
    {
        var runs = (await reader.GetFromJsonAsync<JsonElement>("/api/v1/sources/fresh/history")).GetProperty("runs").EnumerateArray().ToList();

        Assert.Equal(4, runs.Count);
        Assert.Equal(freshDrop, runs[^1].GetProperty("runId").GetGuid());
        Assert.All(runs, r => Assert.Equal(0, r.GetProperty("outliers").GetArrayLength()));
        Assert.Equal(30, (await reader.GetFromJsonAsync<JsonElement>("/api/v1/sources/fresh/history")).GetProperty("days").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_source_is_404_and_days_out_of_range_is_400_naming_days()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/api/v1/sources/nope/history")).StatusCode);
        foreach (var days in new[] { 0, 367 })
        {
            var response = await reader.GetAsync($"/api/v1/sources/tokyo/history?days={days}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("days", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task The_preview_gives_the_next_occurrences_with_the_zones_offset_across_a_daylight_saving_change()
    {
        var before = DateTimeOffset.UtcNow;
        var preview = await reader.GetFromJsonAsync<JsonElement>("/api/v1/schedules/preview?cron=0%202%201%20*%20*&timeZone=Europe/Berlin&count=12");

        Assert.Equal(("0 2 1 * *", "Europe/Berlin"), (preview.GetProperty("cron").GetString(), preview.GetProperty("timeZone").GetString()));
        // The 1st of each of the next 12 months at 02:00 in Berlin, with Berlin's offset then: +01:00 in winter, +02:00 in summer.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var local = TimeZoneInfo.ConvertTime(before, berlin);
        var first = new DateTime(local.Year, local.Month, 1, 2, 0, 0);
        if (first <= local.DateTime) first = first.AddMonths(1);
        var expected = Enumerable.Range(0, 12).Select(i => first.AddMonths(i))
            .Select(at => new DateTimeOffset(at, berlin.GetUtcOffset(at)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)).ToList();
        var next = preview.GetProperty("next").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.Equal(expected, next);
        Assert.Contains(next, n => n.EndsWith("+01:00", StringComparison.Ordinal));
        Assert.Contains(next, n => n.EndsWith("+02:00", StringComparison.Ordinal));

        var five = await reader.GetFromJsonAsync<JsonElement>("/api/v1/schedules/preview?cron=0%202%201%20*%20*&timeZone=Europe/Berlin");
        Assert.Equal(expected.Take(5), five.GetProperty("next").EnumerateArray().Select(n => n.GetString()!));
    }

    [Theory]
    [InlineData("cron=61%20*%20*%20*%20*&timeZone=Europe/Berlin", "cron", "is not a five-field cron expression")]
    [InlineData("cron=0%202%20*%20*%20*&timeZone=Mars/Olympus", "timeZone", "is not a known IANA time zone")]
    [InlineData("cron=0%202%20*%20*%20*&timeZone=Etc/UTC&count=21", "count", "from 1 to 20")]
    public async Task A_bad_preview_gets_400_naming_the_field_with_the_schedulers_message(string query, string field, string message)
    {
        var response = await reader.GetAsync($"/api/v1/schedules/preview?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(message, problem.GetProperty("detail").GetString());
    }
}
