using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// A backup made by the real dumper is restored through the API: POST /restores answers 202, the real restorer
/// runs pg_restore, and GET /restores/{id} reports the restored row counts, which match the source's.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_restore_is_requested_through_the_API(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    readonly Guid runId = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartRestorer();
        await using (var rabbit = await RawRabbit.ConnectAsync(system))
            await rabbit.RequestBackupAsync(runId, "demo");
        await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        api = new ApiHost(system);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_runs_a_real_restore_and_reports_the_row_counts_of_the_source()
    {
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        var target = system.NewDatabaseName();

        var response = await operatorClient.PostAsJsonAsync("/api/v1/restores", new { runId, targetDatabase = target });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var restoreId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("restoreId").GetGuid();
        Assert.Equal($"/api/v1/restores/{restoreId}", response.Headers.Location?.ToString());

        var status = await Eventually.Get(async () =>
        {
            var reply = await operatorClient.GetAsync($"/api/v1/restores/{restoreId}");
            if (reply.StatusCode != HttpStatusCode.OK) return null;
            var body = await reply.Content.ReadFromJsonAsync<JsonElement>();
            return body.GetProperty("state").GetString() == "finished" ? new[] { body } : null;
        }, "the restore to finish", TimeSpan.FromMinutes(2));

        Assert.Equal("completed", status[0].GetProperty("outcome").GetString());
        Assert.Equal(runId, status[0].GetProperty("runId").GetGuid());
        Assert.Equal(target, status[0].GetProperty("targetDatabase").GetString());
        var tables = status[0].GetProperty("report").GetProperty("tables").EnumerateArray().ToList();
        Assert.Contains(tables, t => t.GetProperty("name").GetString() == "customers");
        foreach (var table in tables)
        {
            var name = $"{table.GetProperty("schema").GetString()}.{table.GetProperty("name").GetString()}";
            var source = await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {name}");
            Assert.Equal(source, table.GetProperty("restoredRows").GetInt64());
            Assert.Equal(source, await system.Postgres.ScalarAsync<long>(target, $"SELECT count(*) FROM {name}"));
        }
    }

    [Fact]
    public async Task KeepPrivileges_and_KeepFailedDatabase_reach_the_restorer()
    {
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        var target = system.NewDatabaseName();

        var response = await operatorClient.PostAsJsonAsync("/api/v1/restores",
            new { runId, targetDatabase = target, keepPrivileges = true, keepFailedDatabase = true });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var restoreId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("restoreId").GetGuid();

        var job = await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Kind == "restore" && j.Key == restoreId.ToString("N") && j.State == "finished");
        }, "the restore to finish", TimeSpan.FromMinutes(2));
        Assert.DoesNotContain("errorCode", job.Result);
        var request = JsonDocument.Parse(job.Payload).RootElement.GetProperty("request");
        Assert.True(request.GetProperty("keepPrivileges").GetBoolean());
        Assert.True(request.GetProperty("keepFailedDatabase").GetBoolean());
        // The source's server has the source's role: the tables are its own again, not the restorer's.
        Assert.Equal(system.SourceRole, await system.Postgres.ScalarAsync<string>(target,
            "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tablename = 'orders'"));
    }

    [Fact]
    public async Task A_reader_may_not_restore_and_a_bad_target_or_unknown_run_is_refused()
    {
        using var reader = api.ClientAs("reader-1", "backup.reader");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/v1/restores", new { runId })).StatusCode);

        using var operatorClient = api.ClientAs("operator-1", "backup.operator");
        var badTarget = await operatorClient.PostAsJsonAsync("/api/v1/restores", new { runId, targetDatabase = "x; DROP DATABASE postgres" });
        Assert.Equal(HttpStatusCode.BadRequest, badTarget.StatusCode);
        Assert.Equal("targetDatabase", (await badTarget.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.PostAsJsonAsync("/api/v1/restores", new { runId = Guid.NewGuid() })).StatusCode);
        var malformed = await operatorClient.PostAsync("/api/v1/restores", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        var oversizedTarget = await operatorClient.PostAsJsonAsync("/api/v1/restores", new { runId, targetDatabase = new string('x', 100_000) });
        Assert.Equal(HttpStatusCode.BadRequest, oversizedTarget.StatusCode);
        Assert.True((await oversizedTarget.Content.ReadAsStringAsync()).Length < 2000, "a huge value is not echoed back");
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync($"/api/v1/restores/{Guid.NewGuid()}")).StatusCode);
    }
}
