using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.BadInput;

/// <summary>
/// Two BackupRequested with an all-zero run id, one for a configured source and one for a source nobody knows: the
/// dumper refuses both to dump-database_error (no job, no dump, no BackupFailed), the catalog refuses both to
/// backup-run_error (no row under the zero id), and a good request right after them still completes.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_run_id_is_all_zeros(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid good = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.RequestBackupAsync(Guid.Empty, "demo");
        await rabbit.RequestBackupAsync(Guid.Empty, "no-such-source");
        await rabbit.RequestBackupAsync(good, "demo");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_refuses_both_to_the_error_queues_and_still_runs_the_good_request()
    {
        await system.WaitForStateAsync(good, Backup.Database.BackupRunStates.Completed);

        var dumper = await rabbit.TakeAsync(system, "dump-database_error", 2);
        var catalog = await rabbit.TakeAsync(system, "backup-run_error", 2);

        Assert.All(dumper.Concat(catalog), m => Assert.Contains(Guid.Empty.ToString(), m));
        Assert.Contains(dumper, m => m.Contains("\"no-such-source\""));
        Assert.Contains(dumper, m => m.Contains("\"demo\""));
        Assert.Null(await system.RunAsync(Guid.Empty));
        Assert.Single(Directory.EnumerateFiles(system.StoreRoot, "*.dump.zst", SearchOption.AllDirectories));
    }
}
