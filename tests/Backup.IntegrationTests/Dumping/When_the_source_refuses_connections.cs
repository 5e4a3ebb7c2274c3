using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Dumping;

/// <summary>A transient failure is tried again a bounded number of times (Dumper:RetryDelays), then the run fails.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_source_refuses_connections(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    System.Collections.Concurrent.ConcurrentQueue<JsonElement> started = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper(settings =>
        {
            settings["Sources:demo:Port"] = "1"; // nothing listens there
            settings["Dumper:RetryDelays:0"] = "00:00:00.200";
            settings["Dumper:RetryDelays:1"] = "00:00:00.200";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
        started = await rabbit.ListenAsync("Backup.Contracts:BackupStarted");
        await rabbit.RequestBackupAsync(runId, "demo");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_tries_three_times_then_fails_with_ConnectionFailed()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        Assert.Equal("ConnectionFailed", run.FailureCode);
        Assert.Contains("Could not connect to source 'demo'", run.FailureReason);
        Assert.Equal(3, started.Count(m => m.GetProperty("runId").GetGuid() == runId));
        Assert.Empty(Directory.EnumerateFiles(system.StoreRoot, "*", SearchOption.AllDirectories));
    }
}
