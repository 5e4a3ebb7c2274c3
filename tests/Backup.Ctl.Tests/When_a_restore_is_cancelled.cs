using Backup.Ctl.Store;
using Backup.Ctl.Tests.Infrastructure;
using Backup.Recovery;
using Backup.Recovery.Postgres;

namespace Backup.Ctl.Tests;

/// <summary>
/// A restore stopped once its database exists (Ctrl+C in backupctl, the restorer's service stopping) leaves no
/// half-restored database behind: the restore core drops it on its way out, unless it was asked to keep a failed
/// restore's database. The core is called directly, cancelled the moment it says the database was created.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_a_restore_is_cancelled(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task The_database_it_created_is_dropped()
    {
        var target = source.NewTargetName();
        var progress = new CancelOnceCreated();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RestoreAsync(target, keepFailed: false, progress));

        Assert.Equal(target, progress.Created);
        Assert.Contains($"The half-restored database {target} was dropped", progress.Outcome);
        Assert.False(await source.Postgres.DatabaseExistsAsync(target));
    }

    [Fact]
    public async Task The_database_it_created_is_kept_when_asked_to_keep_a_failed_restores_database()
    {
        var target = source.NewTargetName();
        var progress = new CancelOnceCreated();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RestoreAsync(target, keepFailed: true, progress));

        Assert.Contains($"The half-restored database {target} is kept for inspection", progress.Outcome);
        Assert.True(await source.Postgres.DatabaseExistsAsync(target));
    }

    async Task RestoreAsync(string target, bool keepFailed, CancelOnceCreated progress)
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var folder = StoreFolder.Open(store.Root);
        var postgres = source.Postgres;
        var settings = new RestoreSettings
        {
            Store = folder.Store,
            StoreRoot = folder.Root,
            Server = new TargetServer(postgres.Host, postgres.Port, postgres.Username, _ => postgres.Password, BackupCtl.Caller.Name),
            Tools = PgClientTools.Locate(postgres.BinDirectory, BackupCtl.Caller),
            Caller = BackupCtl.Caller,
            TempDirectory = store.Workspace,
            KeepFailedDatabase = keepFailed,
        };
        await ArtifactRestore.RunAsync(settings, key, target, overwrite: false, progress, progress.Cancellation.Token);
    }

    /// <summary>Cancels the restore as soon as it has created its database; records what became of it.</summary>
    sealed class CancelOnceCreated : RestoreProgress
    {
        public CancellationTokenSource Cancellation { get; } = new();
        public string? Created { get; private set; }
        public string? Outcome { get; private set; }

        public override void DatabaseCreated(string targetDatabase, bool recreated)
        {
            Created = targetDatabase;
            Cancellation.Cancel();
        }

        public override void FailedAfterDatabaseCreated(string targetDatabase, string outcome) => Outcome = outcome;
    }

    public void Dispose() => store.Dispose();
}
