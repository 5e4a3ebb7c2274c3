using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler.Scheduling;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// The scheduled path end to end: the scheduler's clock (moved by the test) reaches 02:00 in Europe/Berlin, it
/// publishes BackupRequested on the real broker, and the dumper backs the source up for real.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_schedule_comes_due(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Occurrence = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero); // 02:00 in Berlin
    SchedulerWorld world = null!;
    BackupSystem system = null!;

    public async Task InitializeAsync()
    {
        world = await SchedulerWorld.CreateAsync(infrastructure, Occurrence.AddMinutes(-30));
        system = world.System;
        await system.StartCatalog();
        await system.StartDumper();
        await world.StartSchedulerAsync(new() { ["Sources:demo:TimeZone"] = "Europe/Berlin" }, "demo");
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public async Task It_requests_the_backup_at_two_local_time_and_the_dumper_completes_it()
    {
        var runId = ScheduledRunIds.For("demo", Occurrence);
        Assert.Null(await system.RunAsync(runId));

        await Eventually.True(async () =>
        {
            world.Clock.Advance(TimeSpan.FromMinutes(10)); // the worker's delay fires once the clock passes 01:00Z
            return await system.RunAsync(runId) is not null;
        }, "the scheduled run to appear in the catalog");

        // BackupRequested (from the scheduler) and BackupStarted (from the dumper) race to the catalog: wait for both.
        var run = await Eventually.Get(async () => await system.RunAsync(runId) is { CurrentState: BackupRunStates.Completed, RequestedBy: not null } r ? r : null,
            "the run to be Completed with its request recorded");
        Assert.Equal("scheduler", run.RequestedBy);
        Assert.Equal(Occurrence, run.RequestedAt);
        Assert.True(File.Exists(Path.Combine(system.StoreRoot, run.ArtifactKey!)));
    }
}
