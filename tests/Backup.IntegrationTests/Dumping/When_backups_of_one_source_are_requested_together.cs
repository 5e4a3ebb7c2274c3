using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// The same BackupRequested three times (a retrying publisher) and a second run for the same source at the same
/// moment, with two dumpers. The repeats are one job and one artifact; the two runs of the source don't overlap:
/// the second waits in the queue and starts only after the first has ended (one dump per source at a time).
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_backups_of_one_source_are_requested_together(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly Guid repeated = Guid.NewGuid(), other = Guid.NewGuid();
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    ConcurrentQueue<JsonElement> started = null!, completed = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartDumper(); // a second instance: both claim from the same jobs table
        rabbit = await RawRabbit.ConnectAsync(system);
        started = await rabbit.ListenAsync("Backup.Contracts:BackupStarted");
        completed = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");

        await Task.WhenAll(
            rabbit.RequestBackupAsync(repeated, "demo"),
            rabbit.RequestBackupAsync(repeated, "demo"),
            rabbit.RequestBackupAsync(other, "demo"),
            rabbit.RequestBackupAsync(repeated, "demo"));
        await system.WaitForStateAsync(repeated, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await system.WaitForStateAsync(other, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await Eventually.True(() => Task.FromResult(completed.Count >= 2), "both completions on the listener");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_repeated_request_is_one_job_one_dump_and_one_artifact()
    {
        Assert.Single(started, m => m.GetProperty("runId").GetGuid() == repeated);
        Assert.Single(completed, m => m.GetProperty("runId").GetGuid() == repeated);
        await using var catalog = system.Catalog();
        Assert.Equal(2, await catalog.Jobs.CountAsync(j => j.Kind == "dump"));

        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var keys = await store.ListAsync(CancellationToken.None).ToListAsync();
        Assert.Equal(2, keys.Count);
        Assert.Single(keys, k => k.Value.Contains(repeated.ToString("N")));
    }

    [Fact]
    public async Task The_two_runs_of_the_source_did_not_overlap()
    {
        var runs = new[] { await system.RunAsync(repeated), await system.RunAsync(other) }.OrderBy(r => r!.StartedAt).ToList();
        Assert.True(runs[0]!.CompletedAt <= runs[1]!.StartedAt,
            $"the second dump started at {runs[1]!.StartedAt:O}, before the first ended at {runs[0]!.CompletedAt:O}");
    }
}
