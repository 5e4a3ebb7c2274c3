using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Topology;

/// <summary>
/// A fresh deployment: a virtual host nothing has declared anything on, the dumper not started yet. Before the
/// migrator's step no queue is bound to BackupRequested's exchange, so the API's mandatory publish comes back from the
/// broker and the answer is 503 (nothing requested), never a 202 for a message the broker dropped. After the migrator's
/// step the dumper's queue exists: the request waits there, and the dumper started later runs it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_backup_is_requested_on_a_fresh_broker(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;
    HttpClient operatorClient = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure, runMigrator: false);
        await ApiHost.AddScheduleAsync(system, "demo");
        api = new ApiHost(system);
        operatorClient = api.ClientAs("operator-1", "backup.operator");
    }

    public async Task DisposeAsync()
    {
        operatorClient.Dispose();
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Before_the_migrators_step_the_API_answers_503_and_nothing_was_requested()
    {
        var response = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/problems/not-routed", problem.GetProperty("type").GetString());
        Assert.Contains("Nothing was requested", problem.GetProperty("detail").GetString());
        await using var catalog = system.Catalog();
        var audit = await catalog.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "backup.trigger");
        Assert.Equal(503, audit.Status);
        Assert.EndsWith("Unroutable", audit.Detail);
        Assert.Empty(await catalog.UnconfirmedRequests.AsNoTracking().ToListAsync());
    }

    [Fact]
    public async Task After_the_migrators_step_the_request_waits_in_the_dumpers_queue_and_runs_once_the_dumper_starts()
    {
        await system.RunMigratorAsync();

        var response = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database") == 1,
            "the request to wait in the dumper's queue");

        await system.StartCatalog();
        await system.StartDumper();
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));

        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        await using var artifact = await store.OpenReadAsync(ArtifactKey.Parse(run.ArtifactKey!), CancellationToken.None);
        Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact)));
    }
}
