using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// Dumper processes that can't report a backup: their RabbitMQ user may not publish BackupCompleted, so each hangs
/// after the artifact and its manifest are committed, and is killed with SIGKILL there. The first dumps and stores;
/// the second takes the job over on its last allowed attempt (Dumper:RetryDelays has one delay: two attempts), finds
/// the stored backup, and is killed before it can report it. The third, an ordinary dumper, finds the attempts used up:
/// its give-up path looks at the store, finds the run's whole backup, and reports it as BackupCompleted. One Completed
/// run, one artifact, no BackupFailed.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_dumper_dies_after_storing_on_its_last_attempt(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog"];
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    readonly string mute = $"mute-{Guid.NewGuid():N}";
    ConcurrentQueue<JsonElement> completions = null!;
    ConcurrentQueue<JsonElement> failures = null!;
    BackupRun run = null!;
    string? jobNote;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
        completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");
        failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
        await system.Broker.CreateUserRefusedPublishingAsync(system.VirtualHost, mute, system.Broker.Password, @"Backup\.Contracts:BackupCompleted");

        var settings = system.Configuration("Backup.Dumper");
        settings["Jobs:HeartbeatInterval"] = "00:00:01";
        settings["Jobs:StaleAfter"] = "00:00:05";
        settings["Dumper:RetryDelays:0"] = "00:00:01";
        var muted = new Dictionary<string, string?>(settings) { ["RabbitMq:Username"] = mute, ["RabbitMq:Password"] = system.Broker.Password };

        await using (var first = await ServiceProcess.StartAsync("Backup.Dumper", muted, Secrets))
        {
            await rabbit.RequestBackupAsync(runId, "demo");
            await Eventually.True(() => Task.FromResult(Directory.EnumerateFiles(system.StoreRoot, "*.manifest.json", SearchOption.AllDirectories).Any()),
                "the first dumper to have committed the artifact and its manifest");
            first.KillHard();
        }
        await using (var second = await ServiceProcess.StartAsync("Backup.Dumper", muted, Secrets))
        {
            await Eventually.True(async () => await JobAttemptsAsync() == 2, "the second dumper to take the job over", TimeSpan.FromMinutes(2));
            second.KillHard();
        }
        await using var third = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
        run = await Eventually.Get(async () => await system.RunAsync(runId) is { CurrentState: BackupRunStates.Completed or BackupRunStates.Failed } ended ? ended : null,
            "the run to end", TimeSpan.FromMinutes(2));
        await Eventually.True(async () => (jobNote = await system.Postgres.ScalarAsync<string?>(system.CatalogDatabase,
            $"SELECT COALESCE(last_error, '') FROM jobs WHERE key = '{JobKinds.KeyOf(runId)}' AND state = 'finished'")) is not null,
            "the job to be finished");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await system.Broker.DeleteUserAsync(mute);
    }

    [Fact]
    public async Task It_reports_the_stored_backup_as_completed_and_never_as_failed()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var key = Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
        var manifest = await store.ReadManifestAsync(key, CancellationToken.None);
        Assert.Equal(runId, manifest!.RunId);

        Assert.Equal(BackupRunStates.Completed, run.CurrentState);
        Assert.Equal(key.Value, run.ArtifactKey);
        Assert.Equal(manifest.Sha256, run.Sha256);
        Assert.Null(run.FailureCode);
        Assert.Single(completions, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.DoesNotContain(failures, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.Equal("gave up", jobNote); // it was the give-up path that reported it
    }

    Task<int> JobAttemptsAsync() => system.Postgres.ScalarAsync<int>(system.CatalogDatabase,
        $"SELECT COALESCE(max(attempts), 0) FROM jobs WHERE key = '{JobKinds.KeyOf(runId)}'");
}
