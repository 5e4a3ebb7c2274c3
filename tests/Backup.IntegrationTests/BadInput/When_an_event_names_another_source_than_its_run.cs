using Backup.Contracts;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.BadInput;

/// <summary>
/// A run of source demo is Running when a BackupFailed for the same run id but of another source arrives: the catalog
/// refuses it to backup-run_error and the run is unchanged; the run's own BackupFailed, right after, still applies.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_an_event_names_another_source_than_its_run(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid run = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.PublishEventAsync(new BackupStarted { RunId = run, Source = "demo", StartedAt = DateTimeOffset.UtcNow });
        await system.WaitForStateAsync(run, BackupRunStates.Running);
        await rabbit.PublishEventAsync(new BackupFailed
        {
            RunId = run, Source = "other", FailedAt = DateTimeOffset.UtcNow,
            ErrorCode = BackupErrorCodes.UnknownSource, Reason = "not configured",
        });
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_refuses_the_event_and_leaves_the_run_as_it_was()
    {
        var refused = Assert.Single(await rabbit.TakeAsync(system, "backup-run_error", 1));
        Assert.Contains("\"other\"", refused);

        var unchanged = await system.RunAsync(run);
        Assert.NotNull(unchanged);
        Assert.Equal(BackupRunStates.Running, unchanged.CurrentState);
        Assert.Equal("demo", unchanged.Source);
        Assert.Null(unchanged.FailureCode);

        await rabbit.PublishEventAsync(new BackupFailed
        {
            RunId = run, Source = "demo", FailedAt = DateTimeOffset.UtcNow,
            ErrorCode = BackupErrorCodes.DumpFailed, Reason = "pg_dump exited with 1",
        });
        var failed = await system.WaitForStateAsync(run, BackupRunStates.Failed);
        Assert.Equal(BackupErrorCodes.DumpFailed, failed.FailureCode);
    }
}
