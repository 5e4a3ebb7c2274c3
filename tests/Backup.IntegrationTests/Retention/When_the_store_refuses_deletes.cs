using Backup.Retention.Cleanup;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// 35 daily backups, 5 of them past 30 days, and a store that refuses deletes: the first sweep (and an administrator's
/// delete through the API of a recent one) leave every run Completed with its artifact in place, pending deletion in
/// the catalog, and publish no BackupExpired. Once the store accepts deletes again, the next sweep deletes them and
/// the runs become Expired. At every point the catalog and the store agree.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_store_refuses_deletes(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    RetentionScenario scenario = null!;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, Now);
        for (var age = 0; age < 35; age++)
            await scenario.AddAsync("demo", Now.Date.AddHours(2).AddDays(-age));
        await scenario.WaitUntilCatalogedAsync();
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    /// <summary>Expired exactly when the artifact is gone, Completed exactly when it is there.</summary>
    async Task AssertCatalogAndStoreAgreeAsync()
    {
        var states = await scenario.StatesAsync();
        Assert.All(scenario.Backups, b => Assert.Equal(states[b.RunId] == BackupRunStates.Completed, b.InStore));
        Assert.All(scenario.Backups, b => Assert.Equal(states[b.RunId] == BackupRunStates.Expired, !b.InStore));
    }

    [Fact]
    public async Task Nothing_is_marked_Expired_until_the_store_has_deleted_it_and_a_later_sweep_finishes_the_job()
    {
        var store = new RefusingStore(scenario.Store) { Refusing = true };
        var retention = await scenario.StartRetentionAsync(services => services.AddSingleton<IArtifactStore>(store));
        using var metrics = new RecordedMetrics(retention);
        var due = scenario.Backups.Where(b => b.CompletedAt < Now.AddDays(-30)).ToList();
        Assert.Equal(5, due.Count);

        var first = await RetentionScenario.SweepAsync(retention);
        Assert.Equal((0, 5), (first.Expired, first.Failed));
        Assert.Equal([("demo", 5d)], Counted(metrics, RetentionMetrics.DeleteFailedName, "backup.source"));
        Assert.Empty(metrics.Of(RetentionMetrics.DeletedName));

        var manual = scenario.Backups.Single(b => b.CompletedAt.Date == Now.Date.AddDays(-5));
        using (var api = new ApiHost(scenario.System, scenario.Configure))
        using (var refusingApi = api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IArtifactStore>(store))))
        {
            var client = refusingApi.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", api.Token("admin-1", ["backup.admin"]));
            var response = await client.DeleteAsync($"/api/v1/runs/{manual.RunId}/artifact");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

            // The run still says Completed, and says its deletion is pending and why it is stuck.
            var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{manual.RunId}");
            Assert.Equal("Completed", detail.GetProperty("run").GetProperty("state").GetString());
            var deletion = detail.GetProperty("deletion");
            Assert.Equal("manual", deletion.GetProperty("reasonCode").GetString());
            Assert.Equal(JsonValueKind.Null, deletion.GetProperty("deletedAt").ValueKind);
            Assert.Contains("read-only", deletion.GetProperty("lastError").GetString());
        }

        // Nothing reached the outbox, so nothing can become Expired; every artifact is still there, pending deletion.
        Assert.Empty(await scenario.ExpiryEventsAsync());
        await AssertCatalogAndStoreAgreeAsync();
        await using (var catalog = scenario.System.Catalog())
        {
            var pending = await catalog.ArtifactDeletions.AsNoTracking().ToListAsync();
            Assert.Equal(due.Append(manual).Select(b => b.RunId).Order(), pending.Select(d => d.RunId).Order());
            Assert.All(pending, d =>
            {
                Assert.Null(d.DeletedAt);
                Assert.Equal(1, d.Attempts);
                Assert.Contains("read-only", d.LastError);
            });
        }

        store.Refusing = false;
        var second = await RetentionScenario.SweepAsync(retention);
        Assert.Equal((6, 0), (second.Expired, second.Failed));
        // Per reason, what this sweep deleted: the 5 past the maximum age and the administrator's one; no more refusals.
        Assert.Equal([("demo/age", 5d), ("demo/manual", 1d)], Counted(metrics, RetentionMetrics.DeletedName, "backup.source", "backup.reason_code"));
        Assert.Equal([("demo", 5d)], Counted(metrics, RetentionMetrics.DeleteFailedName, "backup.source"));
        var sweeps = metrics.Of(RetentionMetrics.SweepDurationName);
        Assert.True(sweeps.Count >= 2, $"{sweeps.Count} sweep durations recorded");
        Assert.All(sweeps, m => Assert.Equal(("s", "completed"), (m.Unit, m.Tag("backup.outcome"))));
        await scenario.WaitUntilExpiredAsync(due.Append(manual));
        await AssertCatalogAndStoreAgreeAsync();

        var runs = await scenario.RunsAsync();
        Assert.StartsWith("manual: deleted through the API by admin-1", runs[manual.RunId].ExpiryReason);
        Assert.All(due, b => Assert.StartsWith("age: ", runs[b.RunId].ExpiryReason));
        Assert.Equal(6, store.Deleted);
        Assert.All(await scenario.ExpiryEventsAsync(), e => Assert.Equal(1, e.Value));
    }

    /// <summary>A counter's totals by the values of <paramref name="tags"/> (joined with '/'), in order.</summary>
    static (string, double)[] Counted(RecordedMetrics metrics, string instrument, params string[] tags) =>
    [
        .. metrics.Of(instrument).GroupBy(m => string.Join('/', tags.Select(m.Tag))).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Sum(m => m.Value))),
    ];
}
