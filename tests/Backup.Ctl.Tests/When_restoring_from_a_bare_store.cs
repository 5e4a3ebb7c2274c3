using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage.TempFolders;

namespace Backup.Ctl.Tests;

/// <summary>
/// The disaster: nothing left but the store folder. The built tool runs as its own process, with no BACKUP_*
/// setting, no broker and no service; the password comes from a PGPASSFILE, as an operator keeps it. Before it
/// restores, it removes the temp folders of killed backupctl restores, never one whose lock is held.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_restoring_from_a_bare_store(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task It_recreates_the_tables_with_the_manifests_row_counts_and_rows()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();
        var temp = Directory.CreateDirectory(Path.Combine(store.Workspace, "tmp")).FullName;
        // What a killed backupctl restore leaves (its lock file free), and the folder of one still running (this process holds its lock).
        var killed = Directory.CreateDirectory(Path.Combine(temp, $"backupctl-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(killed, PrivateTempFolder.LockFileName), "");
        await File.WriteAllTextAsync(Path.Combine(killed, "pgpass"), "*:*:db:user:secret\n");
        using var running = PrivateTempFolder.Create(temp, "backupctl");

        var run = await Backupctl.RunProcessAsync(
            new Dictionary<string, string> { ["PGPASSFILE"] = source.Postgres.WritePassFile(store.Workspace) },
            ["restore", "--store", store.Root, key.Value, "--target-database", target, "--jobs", "2", "--temp-dir", temp,
             .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == 0, run.ToString());
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
        foreach (var table in source.Tables)
            Assert.Matches($@"│ {table.Schema}\.{table.Name}\s*│\s*{table.Rows} │\s*{table.Rows} │ yes\s*│", run.Output);
        Assert.Matches($@"Restored {key} into database {target} in \d\d:\d\d:\d\d\.\d", run.Output);
        Assert.Contains($"Removed 1 temp folder(s) left by killed backupctl restores in {temp}", run.Output);
        Assert.Contains(Path.GetFileName(killed), run.Output);
        Assert.Equal([running.Path], Directory.EnumerateFileSystemEntries(temp)); // the decoded archive and the pgpass file are gone
        running.Dispose();
    }

    [Fact]
    public async Task It_refuses_a_target_database_that_exists_and_leaves_it_untouched()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();
        await source.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {target}");
        await source.Postgres.ExecuteAsync(target, "CREATE TABLE precious (id int); INSERT INTO precious VALUES (1), (2)");

        var run = await RestoreAsync(key.Value, target);

        Assert.True(run.ExitCode == ExitCodes.DatabaseFailed, run.ToString());
        Assert.Contains($"Database {target} already exists", run.Errors);
        Assert.Contains("--overwrite", run.Errors);
        Assert.Equal(2, await source.Postgres.CountAsync(target, "precious"));
    }

    [Fact]
    public async Task It_drops_and_recreates_a_target_database_that_exists_with_overwrite()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();
        await source.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {target}");
        await source.Postgres.ExecuteAsync(target, "CREATE TABLE precious (id int)");

        var run = await RestoreAsync(key.Value, target, "--overwrite");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"dropped and recreated database {target}", run.Output);
        Assert.True(await source.Postgres.ScalarAsync<bool>(target, "SELECT to_regclass('public.precious') IS NULL"));
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
    }

    Task<CtlRun> RestoreAsync(string key, string target, params string[] more) =>
        Backupctl.RunProcessAsync(
            new Dictionary<string, string> { ["PGPASSFILE"] = source.Postgres.WritePassFile(store.Workspace) },
            ["restore", "--store", store.Root, key, "--target-database", target, .. Connection.To(source.Postgres), .. more]);

    public void Dispose() => store.Dispose();
}
