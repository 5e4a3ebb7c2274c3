using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Scheduling;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// The API through its real host, on the real broker and catalog database, with tokens signed by a test key: who
/// may do what (401 without a valid token, 403 without the role), bad input answered with problem details naming
/// the field, triggers that are idempotent with a key, and audit rows for what is sensitive.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_API_is_called(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
        // Scheduled three days ago and never backed up since: stale.
        await ApiHost.AddScheduleAsync(system, "billing", "0 3 * * *", "Europe/Berlin", DateTimeOffset.UtcNow.AddDays(-3));
        api = new ApiHost(system);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Theory]
    [InlineData("GET", "/api/v1/runs")]
    [InlineData("POST", "/api/v1/sources/demo/backups")]
    [InlineData("GET", "/api/v1/runs/0f8fad5b-d9cb-469f-a165-70867728950e/artifact")]
    public async Task Without_a_token_it_answers_401(string method, string path)
    {
        using var client = api.CreateClient();
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_that_is_expired_for_another_audience_or_signed_by_another_key_is_refused()
    {
        using var expired = api.WithToken(api.Token("ops", ["backup.reader"], expires: DateTime.UtcNow.AddMinutes(-5)));
        using var otherAudience = api.WithToken(api.Token("ops", ["backup.reader"], audience: "another-api"));
        using var otherKey = api.WithToken(api.Token("ops", ["backup.reader"], key: RSA.Create(2048)));
        foreach (var client in new[] { expired, otherAudience, otherKey })
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/runs")).StatusCode);
    }

    [Fact]
    public async Task A_reader_reads_but_may_not_trigger_or_download()
    {
        using var reader = api.ClientAs("reader-1", "backup.reader");
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/v1/sources/demo/backups", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/artifact")).StatusCode);
        using var nobody = api.ClientAs("someone", "some.other.role");
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync("/api/v1/runs")).StatusCode);
    }

    [Fact]
    public async Task An_operator_triggers_and_a_retry_with_the_same_key_is_the_same_run()
    {
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");

        var first = await TriggerAsync(operatorClient, "nightly-2026-11-24");
        var retry = await TriggerAsync(operatorClient, "nightly-2026-11-24");
        var other = await TriggerAsync(operatorClient, "nightly-2026-11-25");

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(first.RunId, retry.RunId);
        Assert.NotEqual(first.RunId, other.RunId);
        Assert.Equal($"/api/v1/runs/{first.RunId}", first.Location);
        await using var catalog = system.Catalog();
        Assert.Equal(3, await catalog.AuditEntries.CountAsync(a => a.Action == "backup.trigger" && a.Actor == "operator-1" && a.Status == 202));
    }

    [Theory]
    [InlineData("/api/v1/runs?source=..%2Fetc", "source")]
    [InlineData("/api/v1/runs?state=Exploded", "state")]
    [InlineData("/api/v1/runs?page=0", "page")]
    [InlineData("/api/v1/runs?pageSize=100000", "pageSize")]
    [InlineData("/api/v1/runs?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", "from")]
    public async Task Bad_query_values_get_400_problem_details_naming_the_field(string path, string field)
    {
        using var reader = api.ClientAs("reader-1", "backup.reader");
        var response = await reader.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_bad_source_or_key_is_refused_and_an_unknown_run_is_404()
    {
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.PostAsync("/api/v1/sources/-evil/backups", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.PostAsync("/api/v1/sources/nosuchsource/backups", null)).StatusCode);
        var oversized = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/demo/backups");
        oversized.Headers.Add("Idempotency-Key", new string('k', 101));
        Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.SendAsync(oversized)).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync($"/api/v1/runs/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/api/v1/runs/..%2F..%2Fetc%2Fpasswd/artifact")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/artifact")).StatusCode);
    }

    // Unreachable or only slow to confirm looks the same from the API: it cannot say nothing was requested, and a
    // retry by the same caller is the same run (Topology/When_the_brokers_confirm_comes_after_the_API_gave_up).
    [Fact]
    public async Task With_the_broker_unreachable_a_trigger_gets_503_and_its_retry_would_be_the_same_run()
    {
        await using var cutOff = new ApiHost(system, settings => settings["RabbitMq:Port"] = "1");
        using var operatorClient = cutOff.ClientAs("operator-1", "backup.operator");

        var response = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);
        var retry = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/problems/broker-unavailable", problem.GetProperty("type").GetString());
        Assert.Contains("is the same request and never runs twice", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, retry.StatusCode);
        await using var catalog = system.Catalog();
        var unconfirmed = Assert.Single(await catalog.UnconfirmedRequests.AsNoTracking().ToListAsync());
        Assert.Equal(("backup", "demo", "operator-1"), (unconfirmed.Kind, unconfirmed.Subject, unconfirmed.Actor));
        var failed = await catalog.AuditEntries.AsNoTracking().Where(a => a.Action == "backup.trigger" && a.Status == 503)
            .Select(a => a.Detail).ToListAsync();
        Assert.Equal([$"run {unconfirmed.Id} Unconfirmed", $"run {unconfirmed.Id} Unconfirmed"], failed);
    }

    [Fact]
    public async Task Triggers_over_the_callers_limit_get_429_with_Retry_After_and_other_callers_are_not_held_up()
    {
        await using var limited = new ApiHost(system, settings => settings["Api:RequestsPerMinute"] = "2");
        using var busy = limited.ClientAs("busy-operator", "backup.operator");
        using var other = limited.ClientAs("other-operator", "backup.operator");

        Assert.Equal(HttpStatusCode.Accepted, (await busy.PostAsync("/api/v1/sources/demo/backups", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await busy.PostAsync("/api/v1/sources/demo/backups", null)).StatusCode);
        var refused = await busy.PostAsync("/api/v1/sources/demo/backups", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("60", refused.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.Accepted, (await other.PostAsync("/api/v1/sources/demo/backups", null)).StatusCode);
    }

    [Fact]
    public async Task The_retention_dry_run_lists_what_a_sweep_would_delete_keeps_each_sources_newest_and_deletes_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        Guid oldest = Guid.NewGuid(), newestDemo = Guid.NewGuid(), onlyBilling = Guid.NewGuid(), recent = Guid.NewGuid();
        await using (var catalog = system.Catalog())
        {
            foreach (var (id, source, age) in new[] { (oldest, "demo", 40), (newestDemo, "demo", 35), (onlyBilling, "billing", 50), (recent, "demo", 1) })
                catalog.BackupRuns.Add(new BackupRun
                {
                    CorrelationId = id, CurrentState = id == newestDemo ? BackupRunStates.Delivered : BackupRunStates.Completed, Source = source,
                    CompletedAt = now.AddDays(-age), ArtifactKey = $"{source}/x/{id:N}.dump.zst", UpdatedAt = now,
                });
            await catalog.SaveChangesAsync();
        }
        // A floor of one (Retention:KeepLast): only each source's newest good backup is kept whatever its age.
        await using var floorOfOne = new ApiHost(system, settings => settings["Retention:KeepLast"] = "1");
        using var reader = floorOfOne.ClientAs("reader-1", "backup.reader");

        var preview = await reader.GetFromJsonAsync<JsonElement>("/api/v1/retention/preview");

        Assert.Equal("30.00:00:00", preview.GetProperty("maxAge").GetString());
        var due = preview.GetProperty("wouldDelete").EnumerateArray().Select(c => c.GetProperty("runId").GetGuid()).ToList();
        Assert.Equal([oldest, newestDemo], due); // oldest first; "recent" is the newest demo backup, billing keeps its only one
        Assert.Contains("older than 30 days", preview.GetProperty("wouldDelete")[0].GetProperty("reason").GetString());
        Assert.Equal("age", preview.GetProperty("wouldDelete")[0].GetProperty("code").GetString());
        await using var after = system.Catalog();
        Assert.Equal(4, await after.BackupRuns.CountAsync(r => r.CurrentState != BackupRunStates.Expired));
    }

    [Fact]
    public async Task A_reader_lists_the_sources_with_their_next_run_and_stale_flag()
    {
        using var reader = api.ClientAs("reader-1", "backup.reader");
        var sources = await reader.GetFromJsonAsync<JsonElement[]>("/api/v1/sources");

        Assert.Equal(["billing", "demo"], sources!.Select(s => s.GetProperty("source").GetString()));
        var demo = sources!.Single(s => s.GetProperty("source").GetString() == "demo");
        var next = demo.GetProperty("nextRunAt").GetDateTimeOffset();
        Assert.Equal(new TimeSpan(2, 0, 0), next.UtcDateTime.TimeOfDay);
        Assert.True(next > DateTimeOffset.UtcNow && next <= DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(demo.GetProperty("stale").GetBoolean());
        Assert.True(sources!.Single(s => s.GetProperty("source").GetString() == "billing").GetProperty("stale").GetBoolean());
    }

    [Fact]
    public async Task Only_an_admin_changes_a_schedule_a_bad_one_is_refused_naming_the_field_and_the_change_is_stored_and_audited()
    {
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PutAsJsonAsync("/api/v1/sources/demo/schedule", new { cron = "0 4 * * *" })).StatusCode);

        using var admin = api.ClientAs("admin-1", "backup.admin");
        var badCron = await admin.PutAsJsonAsync("/api/v1/sources/demo/schedule", new { cron = "0 25 * * *" });
        Assert.Equal(HttpStatusCode.BadRequest, badCron.StatusCode);
        Assert.Equal("cron", (await badCron.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        var badZone = await admin.PutAsJsonAsync("/api/v1/sources/demo/schedule", new { timeZone = "Mars/Olympus_Mons" });
        Assert.Equal("timeZone", (await badZone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/api/v1/sources/nosuch/schedule", new { cron = "0 4 * * *" })).StatusCode);

        var changed = await admin.PutAsJsonAsync("/api/v1/sources/demo/schedule", new { cron = "30 4 * * *", timeZone = "America/New_York" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        await using var catalog = system.Catalog();
        var row = await catalog.Schedules.AsNoTracking().SingleAsync(s => s.Source == "demo");
        Assert.Equal(("30 4 * * *", "America/New_York", ScheduleOrigins.Api, "api:admin-1"), (row.Cron, row.TimeZone, row.Origin, row.UpdatedBy));
        var audit = await catalog.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "schedule.change");
        Assert.Equal(("admin-1", "demo", 200), (audit.Actor, audit.Target, audit.Status));
        Assert.Contains("0 2 * * * Etc/UTC", audit.Detail);
    }

    static async Task<(HttpStatusCode Status, Guid RunId, string? Location)> TriggerAsync(HttpClient client, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sources/demo/backups");
        request.Headers.Add("Idempotency-Key", key);
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("runId").GetGuid(), response.Headers.Location?.ToString());
    }
}
