using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// Restore drills as the API shows them, read from the real catalog database: each run's verification beside its
/// state (compact in the list; with the steps, exact per-table counts, failures and checks on the run's page), and per
/// source whether drills are on, its last verified backup with its age and measured RTO, and whether it is unverified.
/// The rows are seeded in SQL the way their writers write them: backup_verifications as the catalog's
/// BackupVerificationRecorder upserts it from the drill's events (jsonb of the contracts' records in web JSON),
/// drill_policies as the restorer's DrillQueue records a source's Drills settings.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_runs_and_sources_show_their_verification(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    HttpClient reader = null!;

    // Whole seconds: timestamptz keeps microseconds, and the JSON compares exactly.
    static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    readonly Guid passed = Guid.NewGuid();      // demo, 3 h ago: drill passed with exact counts, under its RTO target
    readonly Guid pending = Guid.NewGuid();     // demo, 10 min ago: drill queued, not ended
    readonly Guid failedRun = Guid.NewGuid();   // demo, failed backup: no artifact, no verification
    readonly Guid drillFailed = Guid.NewGuid(); // billing, 1 day ago: drill failed (a row count differs)
    readonly Guid oldVerified = Guid.NewGuid(); // billing, 3 days ago: the last drill that passed, over its RTO target
    readonly Guid weekly = Guid.NewGuid();      // archive (drilled at most once a week), 3 days ago: passed
    readonly Guid undrilled = Guid.NewGuid();   // crm (drills off), 1 h ago: no verification

    static readonly DrillStep[] PassedSteps =
    [
        new() { Name = "fetch", Seconds = 1.25 }, new() { Name = "decode", Seconds = 0.5 }, new() { Name = "schema", Seconds = 0.75 },
        new() { Name = "data", Seconds = 30 }, new() { Name = "indexes", Seconds = 5.5 }, new() { Name = "verify", Seconds = 2.5 },
        new() { Name = "checks", Seconds = 1 },
    ];

    static readonly RestoredTable[] PassedTables =
    [
        new() { Schema = "public", Name = "customers", ExpectedRows = 1_000, RestoredRows = 1_000 },
        new() { Schema = "public", Name = "orders", ExpectedRows = 250_123, RestoredRows = 250_123 },
    ];

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo", since: Now.AddDays(-30));
        await ApiHost.AddScheduleAsync(system, "billing", since: Now.AddDays(-30));
        await ApiHost.AddScheduleAsync(system, "archive", since: Now.AddDays(-30));
        await ApiHost.AddScheduleAsync(system, "crm", since: Now.AddDays(-30));

        await using (var catalog = system.Catalog())
        {
            foreach (var (id, source, state, ago) in new[]
            {
                (passed, "demo", BackupRunStates.Delivered, TimeSpan.FromHours(3)),
                (pending, "demo", BackupRunStates.Completed, TimeSpan.FromMinutes(10)),
                (failedRun, "demo", BackupRunStates.Failed, TimeSpan.FromHours(2)),
                (drillFailed, "billing", BackupRunStates.Completed, TimeSpan.FromDays(1)),
                (oldVerified, "billing", BackupRunStates.Completed, TimeSpan.FromDays(3)),
                (weekly, "archive", BackupRunStates.Completed, TimeSpan.FromDays(3)),
                (undrilled, "crm", BackupRunStates.Completed, TimeSpan.FromHours(1)),
            })
            {
                var failed = state == BackupRunStates.Failed;
                catalog.BackupRuns.Add(new BackupRun
                {
                    CorrelationId = id, Source = source, CurrentState = state, RequestedAt = Now - ago - TimeSpan.FromMinutes(5),
                    StartedAt = Now - ago - TimeSpan.FromMinutes(4), CompletedAt = failed ? null : Now - ago, FailedAt = failed ? Now - ago : null,
                    FailureCode = failed ? "DumpFailed" : null, ArtifactKey = failed ? null : Backup.Storage.ArtifactKey.Create(source, id, Now - ago).Value, UpdatedAt = Now - ago,
                });
            }
            await catalog.SaveChangesAsync();

            // drill_policies as the restorer's DrillQueue.RecordPolicyAsync writes them (crm has drills off: no row).
            await catalog.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES
                    ('demo', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddDays(-20)}),
                    ('billing', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddDays(-20)}),
                    ('archive', {TimeSpan.FromDays(7)}, {TimeSpan.FromHours(1)}, {Now.AddDays(-20)})
                """);
        }

        // backup_verifications as the catalog's recorder writes them: a pending row from BackupVerificationQueued, a
        // decided row from BackupVerified or BackupVerificationFailed.
        await QueuedAsync(pending, "demo", Now.AddMinutes(-9));
        await DecidedAsync(passed, "demo", "passed", Now.AddHours(-3).AddMinutes(1), Now.AddHours(-3).AddMinutes(2), 42.5, 1800, null, null, [],
            PassedSteps, PassedTables, [new DrillCheck { Name = "has_orders", Passed = true }]);
        await DecidedAsync(drillFailed, "billing", "failed", Now.AddDays(-1).AddMinutes(1), Now.AddDays(-1).AddMinutes(3), null, null,
            VerificationErrorCodes.RowCountMismatch, "Table billing.invoices has 2,000 rows restored, 2,001 in the dump's snapshot.",
            ["table billing.invoices: 2,000 rows restored, 2,001 in the dump's snapshot", "check invoices_paid: returned false"],
            [new() { Name = "fetch", Seconds = 2 }, new() { Name = "decode", Seconds = 1 }, new() { Name = "schema", Seconds = 1 },
             new() { Name = "data", Seconds = 60 }, new() { Name = "indexes", Seconds = 10 }, new() { Name = "verify", Seconds = 4 }],
            [new() { Schema = "billing", Name = "invoices", ExpectedRows = 2_001, RestoredRows = 2_000 }],
            [new DrillCheck { Name = "invoices_paid", Passed = false, Detail = "returned false" }]);
        await DecidedAsync(oldVerified, "billing", "passed", Now.AddDays(-3).AddMinutes(1), Now.AddDays(-3).AddMinutes(45), 2400, 1800, null, null, [],
            [new() { Name = "fetch", Seconds = 600 }, new() { Name = "restore", Seconds = 1700 }, new() { Name = "verify", Seconds = 100 }],
            [new() { Schema = "billing", Name = "invoices", ExpectedRows = 1_990, RestoredRows = 1_990 }], []);
        await DecidedAsync(weekly, "archive", "passed", Now.AddDays(-3).AddMinutes(1), Now.AddDays(-3).AddMinutes(2), 60, 3600, null, null, [],
            [new() { Name = "restore", Seconds = 60 }], [], []);

        api = new ApiHost(system);
        reader = api.ClientAs("reader-1", "backup.reader");
    }

    public async Task DisposeAsync()
    {
        reader.Dispose();
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_list_shows_each_runs_verification_beside_its_state_and_null_for_a_run_without_one()
    {
        var items = (await reader.GetFromJsonAsync<JsonElement>("/api/v1/runs")).GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("runId").GetGuid());

        Assert.Equal(7, items.Count);
        var ok = items[passed].GetProperty("verification");
        Assert.Equal("Delivered", items[passed].GetProperty("state").GetString());
        Assert.Equal("passed", ok.GetProperty("state").GetString());
        Assert.Equal(42.5, ok.GetProperty("recoverySeconds").GetDouble());
        Assert.Equal(1800, ok.GetProperty("rtoTargetSeconds").GetDouble());
        Assert.False(ok.GetProperty("overTarget").GetBoolean());
        Assert.Equal(JsonValueKind.Null, ok.GetProperty("errorCode").ValueKind);
        Assert.Equal(Now.AddHours(-3).AddMinutes(2), ok.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.False(ok.TryGetProperty("steps", out _)); // the proofs are on the run's own page

        var bad = items[drillFailed].GetProperty("verification");
        Assert.Equal("Completed", items[drillFailed].GetProperty("state").GetString()); // the backup stays Completed
        Assert.Equal(("failed", "RowCountMismatch"), (bad.GetProperty("state").GetString(), bad.GetProperty("errorCode").GetString()));
        Assert.Equal(JsonValueKind.Null, bad.GetProperty("recoverySeconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, bad.GetProperty("overTarget").ValueKind);

        Assert.True(items[oldVerified].GetProperty("verification").GetProperty("overTarget").GetBoolean()); // 2,400 s over 1,800 s

        var queued = items[pending].GetProperty("verification");
        Assert.Equal("pending", queued.GetProperty("state").GetString());
        Assert.Equal(Now.AddMinutes(-9), queued.GetProperty("queuedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, queued.GetProperty("finishedAt").ValueKind);

        Assert.Equal(JsonValueKind.Null, items[failedRun].GetProperty("verification").ValueKind);
        Assert.Equal(JsonValueKind.Null, items[undrilled].GetProperty("verification").ValueKind);
    }

    [Theory]
    [InlineData("passed", "oldVerified passed weekly")]
    [InlineData("failed", "drillFailed")]
    [InlineData("pending", "pending")]
    [InlineData("skipped", "")]
    [InlineData("none", "failedRun undrilled")]
    public async Task The_list_filters_by_verification(string filter, string expected)
    {
        var names = new Dictionary<Guid, string>
        {
            [passed] = "passed", [pending] = "pending", [failedRun] = "failedRun", [drillFailed] = "drillFailed",
            [oldVerified] = "oldVerified", [weekly] = "weekly", [undrilled] = "undrilled",
        };
        var page = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs?verification={filter}");

        var found = page.GetProperty("items").EnumerateArray().Select(r => names[r.GetProperty("runId").GetGuid()]).Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join(' ', found));
        Assert.Equal(expected.Length == 0 ? 0 : expected.Split(' ').Length, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_bad_verification_filter_gets_400_naming_the_field()
    {
        var response = await reader.GetAsync("/api/v1/runs?verification=Passed");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("verification", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_passed_run_shows_its_step_times_and_exact_per_table_counts()
    {
        var detail = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{passed}");

        Assert.Equal("passed", detail.GetProperty("run").GetProperty("verification").GetProperty("state").GetString());
        var v = detail.GetProperty("verification");
        Assert.Equal("passed", v.GetProperty("state").GetString());
        Assert.Equal(Now.AddHours(-3).AddMinutes(1), v.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(Now.AddHours(-3).AddMinutes(2), v.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.Equal((42.5, 1800d, false), (v.GetProperty("recoverySeconds").GetDouble(), v.GetProperty("rtoTargetSeconds").GetDouble(),
            v.GetProperty("overTarget").GetBoolean()));
        Assert.Equal(["fetch 1.25", "decode 0.5", "schema 0.75", "data 30", "indexes 5.5", "verify 2.5", "checks 1"],
            v.GetProperty("steps").EnumerateArray().Select(s => $"{s.GetProperty("name").GetString()} {s.GetProperty("seconds").GetDouble()}"));
        Assert.Equal(["public.customers 1000/1000", "public.orders 250123/250123"], Tables(v));
        var check = Assert.Single(v.GetProperty("checks").EnumerateArray());
        Assert.Equal(("has_orders", true), (check.GetProperty("name").GetString(), check.GetProperty("passed").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, check.GetProperty("detail").ValueKind);
        Assert.Empty(v.GetProperty("failures").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, v.GetProperty("errorCode").ValueKind);
    }

    [Fact]
    public async Task A_run_whose_drill_failed_shows_the_error_code_every_failure_and_the_counts_that_differ()
    {
        var detail = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{drillFailed}");

        Assert.Equal("Completed", detail.GetProperty("run").GetProperty("state").GetString());
        var v = detail.GetProperty("verification");
        Assert.Equal(("failed", "RowCountMismatch"), (v.GetProperty("state").GetString(), v.GetProperty("errorCode").GetString()));
        Assert.Equal("Table billing.invoices has 2,000 rows restored, 2,001 in the dump's snapshot.", v.GetProperty("reason").GetString());
        Assert.Equal(["table billing.invoices: 2,000 rows restored, 2,001 in the dump's snapshot", "check invoices_paid: returned false"],
            v.GetProperty("failures").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["billing.invoices 2001/2000"], Tables(v));
        Assert.Equal(["fetch", "decode", "schema", "data", "indexes", "verify"],
            v.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var check = Assert.Single(v.GetProperty("checks").EnumerateArray());
        Assert.Equal(("invoices_paid", false, "returned false"),
            (check.GetProperty("name").GetString(), check.GetProperty("passed").GetBoolean(), check.GetProperty("detail").GetString()));
        Assert.Equal(JsonValueKind.Null, v.GetProperty("recoverySeconds").ValueKind);
    }

    [Fact]
    public async Task A_pending_run_shows_its_queue_time_and_no_proofs_yet_and_a_run_without_a_verification_shows_null()
    {
        var queued = (await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{pending}")).GetProperty("verification");
        Assert.Equal("pending", queued.GetProperty("state").GetString());
        Assert.Equal(Now.AddMinutes(-9), queued.GetProperty("queuedAt").GetDateTimeOffset());
        foreach (var field in new[] { "startedAt", "finishedAt", "recoverySeconds", "overTarget", "errorCode" })
            Assert.Equal(JsonValueKind.Null, queued.GetProperty(field).ValueKind);
        foreach (var list in new[] { "failures", "steps", "tables", "checks" })
            Assert.Empty(queued.GetProperty(list).EnumerateArray());

        var none = await reader.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{failedRun}");
        Assert.Equal(JsonValueKind.Null, none.GetProperty("verification").ValueKind);
        Assert.Equal(JsonValueKind.Null, none.GetProperty("run").GetProperty("verification").ValueKind);
    }

    [Fact]
    public async Task The_sources_show_drills_the_last_verified_backup_its_age_and_RTO_and_which_are_unverified()
    {
        var sources = (await reader.GetFromJsonAsync<JsonElement[]>("/api/v1/sources"))!.ToDictionary(s => s.GetProperty("source").GetString()!);
        Assert.Equal(["archive", "billing", "crm", "demo"], sources.Keys.Order(StringComparer.Ordinal));

        // Drills on, every backup drilled, the last verified backup 3 h old: verified.
        var demo = sources["demo"];
        Assert.True(demo.GetProperty("drillsOn").GetBoolean());
        Assert.Equal(("00:00:00", "00:30:00"), (demo.GetProperty("drills").GetProperty("every").GetString(),
            demo.GetProperty("drills").GetProperty("rtoTarget").GetString()));
        var last = demo.GetProperty("lastVerified");
        Assert.Equal(passed, last.GetProperty("runId").GetGuid()); // not the newer, pending one
        Assert.Equal(Now.AddHours(-3), last.GetProperty("completedAt").GetDateTimeOffset());
        Assert.Equal(Now.AddHours(-3).AddMinutes(2), last.GetProperty("verifiedAt").GetDateTimeOffset());
        AssertAge(TimeSpan.FromHours(3), last);
        Assert.Equal((42.5, 1800d, false), (last.GetProperty("recoverySeconds").GetDouble(), last.GetProperty("rtoTargetSeconds").GetDouble(),
            last.GetProperty("overTarget").GetBoolean()));
        Assert.False(demo.GetProperty("unverified").GetBoolean());

        // Drills on, every backup drilled: the newest backup's drill failed, the last that passed is 3 days old (over a
        // day plus 2 h): unverified, though the source is not stale (its newest backup is a day old).
        var billing = sources["billing"];
        Assert.True(billing.GetProperty("drillsOn").GetBoolean());
        var lastBilling = billing.GetProperty("lastVerified");
        Assert.Equal(oldVerified, lastBilling.GetProperty("runId").GetGuid());
        AssertAge(TimeSpan.FromDays(3), lastBilling);
        Assert.True(lastBilling.GetProperty("overTarget").GetBoolean());
        Assert.Equal(2400, lastBilling.GetProperty("recoverySeconds").GetDouble());
        Assert.True(billing.GetProperty("unverified").GetBoolean());
        Assert.False(billing.GetProperty("stale").GetBoolean());

        // Drilled at most once a week: a verified backup 3 days old is within a day's interval plus the week plus grace.
        var archive = sources["archive"];
        Assert.Equal(("7.00:00:00", "01:00:00"), (archive.GetProperty("drills").GetProperty("every").GetString(),
            archive.GetProperty("drills").GetProperty("rtoTarget").GetString()));
        Assert.Equal(weekly, archive.GetProperty("lastVerified").GetProperty("runId").GetGuid());
        Assert.False(archive.GetProperty("unverified").GetBoolean());

        // Drills off: nothing to verify, never unverified.
        var crm = sources["crm"];
        Assert.False(crm.GetProperty("drillsOn").GetBoolean());
        Assert.Equal(JsonValueKind.Null, crm.GetProperty("drills").ValueKind);
        Assert.Equal(JsonValueKind.Null, crm.GetProperty("lastVerified").ValueKind);
        Assert.False(crm.GetProperty("unverified").GetBoolean());
        Assert.Equal(Now.AddHours(-1), crm.GetProperty("lastSuccessAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_source_with_drills_on_and_no_verified_backup_is_unverified_once_the_allowance_has_passed_since_drills_were_turned_on()
    {
        await using (var catalog = system.Catalog())
        {
            // Turned on 3 days ago (no drill has passed since), and an hour ago for another source.
            await catalog.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES
                    ('crm', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddDays(-3)})
                """);
        }
        await ApiHost.AddScheduleAsync(system, "fresh", since: Now.AddDays(-30));
        await using (var catalog = system.Catalog())
            await catalog.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES
                    ('fresh', {TimeSpan.Zero}, {TimeSpan.FromMinutes(30)}, {Now.AddHours(-1)})
                """);

        var sources = (await reader.GetFromJsonAsync<JsonElement[]>("/api/v1/sources"))!.ToDictionary(s => s.GetProperty("source").GetString()!);

        Assert.True(sources["crm"].GetProperty("drillsOn").GetBoolean());
        Assert.Equal(JsonValueKind.Null, sources["crm"].GetProperty("lastVerified").ValueKind);
        Assert.True(sources["crm"].GetProperty("unverified").GetBoolean());
        Assert.False(sources["fresh"].GetProperty("unverified").GetBoolean());
    }

    static IEnumerable<string> Tables(JsonElement verification) =>
        verification.GetProperty("tables").EnumerateArray().Select(t =>
            $"{t.GetProperty("schema").GetString()}.{t.GetProperty("name").GetString()} {t.GetProperty("expectedRows").GetInt64()}/{t.GetProperty("restoredRows").GetInt64()}");

    static void AssertAge(TimeSpan expected, JsonElement lastVerified)
    {
        var age = lastVerified.GetProperty("ageSeconds").GetInt64();
        var seconds = (long)expected.TotalSeconds;
        Assert.InRange(age, seconds, seconds + (long)(DateTimeOffset.UtcNow - Now).TotalSeconds + 1);
    }

    async Task QueuedAsync(Guid runId, string source, DateTimeOffset queuedAt)
    {
        await using var catalog = system.Catalog();
        Assert.Equal(1, await catalog.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, updated_at)
            VALUES ({runId}, {source}, {$"{source}/x/{runId:N}.dump.zst"}, 'pending', {queuedAt}, {queuedAt})
            """));
    }

    async Task DecidedAsync(Guid runId, string source, string state, DateTimeOffset startedAt, DateTimeOffset finishedAt, double? recoverySeconds,
        double? rtoTargetSeconds, string? errorCode, string? reason, string[] failures, DrillStep[] steps, RestoredTable[] tables, DrillCheck[] checks)
    {
        await using var catalog = system.Catalog();
        Assert.Equal(1, await catalog.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, started_at, finished_at, recovery_seconds,
                rto_target_seconds, error_code, reason, failures, steps, tables, checks, updated_at)
            VALUES ({runId}, {source}, {$"{source}/x/{runId:N}.dump.zst"}, {state}, {startedAt.AddSeconds(-30)}, {startedAt}, {finishedAt},
                {recoverySeconds}, {rtoTargetSeconds}, {errorCode}, {reason}, {Json(failures)}::jsonb, {Json(steps)}::jsonb,
                {Json(tables)}::jsonb, {Json(checks)}::jsonb, {finishedAt})
            """));
    }

    static string Json<T>(T[] values) => JsonSerializer.Serialize(values, JsonSerializerOptions.Web);
}
