using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Topology;

/// <summary>
/// The broker takes a BackupRequested at once but its confirm reaches the API only after Api:PublishTimeout (the
/// broker's bytes to the API are held back by a relay), so the API answers 503 for a request that is in the dumper's
/// queue. The client retries without an Idempotency-Key until it gets 202: every retry is the same run id, so the
/// dumper, seeing that run requested twice, makes one job and one backup of it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_brokers_confirm_comes_after_the_API_gave_up(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    BrokerLink link = null!;
    ApiHost api = null!;
    HttpClient operatorClient = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
        link = new BrokerLink(system.Broker);
        api = new ApiHost(system, settings =>
        {
            settings["RabbitMq:Host"] = "127.0.0.1";
            settings["RabbitMq:Port"] = link.Port.ToString();
            settings["Api:PublishTimeout"] = "00:00:01";
        });
        operatorClient = api.ClientAs("operator-1", "backup.operator");
        await Eventually.True(async () => (await operatorClient.GetAsync("/health/ready")).IsSuccessStatusCode, "the API to be connected");
    }

    public async Task DisposeAsync()
    {
        operatorClient.Dispose();
        await api.DisposeAsync();
        await link.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_clients_retry_without_a_key_is_the_same_run_and_it_runs_once()
    {
        // An earlier backup, confirmed in time: the API has declared BackupRequested's exchange, so the next publish
        // is the message alone (a declaration, waiting for its own answer, would keep the message from the broker).
        var earlier = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, earlier.StatusCode);
        var earlierRunId = (await earlier.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();

        link.ReplyDelay = TimeSpan.FromSeconds(3);
        var first = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.EndsWith("/problems/broker-unavailable", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database") == 2,
            "the broker to hold the request the API answered 503 for");

        link.ReplyDelay = TimeSpan.Zero;
        var runId = Guid.Empty;
        await Eventually.True(async () =>
        {
            var retry = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);
            if (retry.StatusCode != HttpStatusCode.Accepted) return false;
            runId = (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
            return true;
        }, "a retry to be answered 202");

        await using (var catalog = system.Catalog())
        {
            var unconfirmed = await catalog.AuditEntries.AsNoTracking()
                .Where(a => a.Action == "backup.trigger" && a.Status == 503).Select(a => a.Detail).ToListAsync();
            Assert.NotEmpty(unconfirmed);
            Assert.All(unconfirmed, detail => Assert.Equal($"run {runId} Unconfirmed", detail));
            Assert.Empty(await catalog.UnconfirmedRequests.AsNoTracking().ToListAsync());
        }
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database") == 3,
            "the request and its retry in the dumper's queue");

        await system.StartCatalog();
        await system.StartDumper();
        await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await system.WaitForStateAsync(earlierRunId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database") == 0,
            "the dumper to have taken every request");

        // Two backups asked for with 202, two runs and two dump jobs: the 503'd request and its retry are one.
        await using var after = system.Catalog();
        var runs = await after.BackupRuns.AsNoTracking().OrderBy(r => r.CorrelationId).Select(r => r.CorrelationId).ToListAsync();
        Assert.Equal(new[] { earlierRunId, runId }.Order(), runs);
        var jobs = await after.Jobs.AsNoTracking().Where(j => j.Kind == JobKinds.Dump).Select(j => j.Key).ToListAsync();
        Assert.Equal(new[] { JobKinds.KeyOf(earlierRunId), JobKinds.KeyOf(runId) }.Order(), jobs.Order());
        Assert.Equal(1, (await after.BackupRuns.AsNoTracking().SingleAsync(r => r.CorrelationId == runId)).Attempts);
    }
}
