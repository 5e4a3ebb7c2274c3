using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Contracts;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Dumper;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// A backup completes, its finished dump job is purged (as Jobs:KeepFinishedFor does after 7 days), and the same
/// BackupRequested is delivered again through RabbitMQ: the catalog's run says the dump is over, so the dumper
/// acknowledges it without a job, without a dump and without publishing anything. One artifact, one BackupStarted,
/// one BackupCompleted, one attempt.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_request_is_replayed_after_its_job_was_purged(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    readonly DateTimeOffset requestedAt = DateTimeOffset.UtcNow;
    readonly RequestsConsumed consumed = new();
    ConcurrentQueue<JsonElement> started = null!;
    ConcurrentQueue<JsonElement> completions = null!;
    long jobsAfterTheReplay;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartAsync("Backup.Dumper", b => b.AddDumper(), services: s => s.AddConsumeObserver(_ => consumed));
        rabbit = await RawRabbit.ConnectAsync(system);
        started = await rabbit.ListenAsync("Backup.Contracts:BackupStarted");
        completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");

        await rabbit.RequestBackupAsync(runId, "demo", requestedAt);
        await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        await Eventually.True(async () => await DumpJobsAsync("state = 'finished'") == 1, "the dump job to be finished");
        await system.Postgres.ExecuteAsync(system.CatalogDatabase,
            $"DELETE FROM jobs WHERE kind = '{JobKinds.Dump}' AND key = '{JobKinds.KeyOf(runId)}' AND state = 'finished'");

        await rabbit.RequestBackupAsync(runId, "demo", requestedAt);
        await Eventually.True(() => Task.FromResult(consumed.Count(runId) == 2), "the dumper to have consumed the replayed request");
        jobsAfterTheReplay = await DumpJobsAsync("true");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public void It_stores_no_new_dump_job()
    {
        Assert.Equal(0, jobsAfterTheReplay);
    }

    [Fact]
    public async Task It_keeps_one_artifact_one_start_and_one_completion()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var key = Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
        Assert.Single(started, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.Single(completions, m => m.GetProperty("runId").GetGuid() == runId);

        var run = await system.RunAsync(runId);
        Assert.Equal(BackupRunStates.Completed, run!.CurrentState);
        Assert.Equal(key.Value, run.ArtifactKey);
        Assert.Equal(1, run.Attempts);
    }

    Task<long> DumpJobsAsync(string condition) => system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
        $"SELECT count(*) FROM jobs WHERE kind = '{JobKinds.Dump}' AND key = '{JobKinds.KeyOf(runId)}' AND {condition}");

    /// <summary>Counts each BackupRequested the dumper's consumer has handled, by run id.</summary>
    sealed class RequestsConsumed : IConsumeObserver
    {
        readonly ConcurrentDictionary<Guid, int> handled = new();

        public int Count(Guid runId) => handled.GetValueOrDefault(runId);

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (context.Message is BackupRequested request) handled.AddOrUpdate(request.RunId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
