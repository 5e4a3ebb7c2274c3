using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;
using Backup.Storage.Encryption;

namespace Backup.Ctl.Tests;

/// <summary>
/// The other tests run backupctl as built (JIT-compiled, on the test run's runtime); a recovery machine runs it as the
/// README publishes it: one native executable, compiled ahead of time with the runtime inside. A call that needs code
/// or reflection the native compiler could not see works in the first and fails only in the second, so the commands
/// that matter on the day of a disaster run here through the published program, against the real server and store.
/// </summary>
[Collection(PublishedBackupctlCollection.Name)]
public sealed class When_backupctl_runs_as_published(PublishedBackupctl backupctl, DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public void It_is_one_native_executable_with_nothing_to_load_beside_it()
    {
        var published = Directory.EnumerateFiles(backupctl.Folder).Select(Path.GetFileName).ToList();

        Assert.DoesNotContain(published, name => name!.EndsWith(".dll", StringComparison.Ordinal) || name.EndsWith(".so", StringComparison.Ordinal));
        using var file = File.OpenRead(backupctl.Executable);
        var magic = new byte[4];
        file.ReadExactly(magic);
        Assert.Equal("\u007fELF"u8.ToArray(), magic);
    }

    [Fact]
    public async Task It_generates_administrators_keys_and_restores_an_artifact_encrypted_to_them()
    {
        var publicKey = Path.Combine(store.Workspace, "admins.pub.asc");
        var secretKey = Path.Combine(store.Workspace, "admins.sec.asc");
        var passphrase = store.WriteFile("key-passphrase", "a long passphrase for the admins' key\n");
        var generated = await RunAsync("keys", "generate", "--public-key-file", publicKey, "--secret-key-file", secretKey,
            "--passphrase-file", passphrase);
        Assert.True(generated.ExitCode == 0, generated.ToString());

        var stored = TestStore.Encrypt(TestStore.Compress(source.Archive), new EncryptionOptions { RecipientKeyFiles = [publicKey] });
        var key = await store.AddStoredAsync(source, stored, DateTimeOffset.UtcNow, encoding: ArtifactEncoding.ZstdOpenPgp);
        var listed = await RunAsync("list", "--store", store.Root);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(key.Value, listed.Output);

        var target = source.NewTargetName();
        var restored = await RunAsync(["restore", "--store", store.Root, key.Value, "--target-database", target, "--jobs", "2",
            "--secret-key-file", secretKey, "--secret-key-passphrase-file", passphrase, .. Connection.To(source.Postgres)]);

        Assert.True(restored.ExitCode == 0, restored.ToString());
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
        foreach (var table in source.Tables)
            Assert.Matches($@"│ {table.Schema}\.{table.Name}\s*│\s*{table.Rows} │\s*{table.Rows} │ yes\s*│", restored.Output);
    }

    [Fact]
    public async Task It_refuses_a_damaged_artifact_saying_what_is_wrong()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        store.FlipByte(key);

        var run = await RunAsync("verify", "--store", store.Root, key.Value, "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains("Hash mismatch", run.Errors);
        Assert.Contains(key.Value, run.Errors);
    }

    Task<CtlRun> RunAsync(params string[] args) =>
        Backupctl.RunExecutableAsync(backupctl.Executable,
            new Dictionary<string, string> { ["PGPASSFILE"] = source.Postgres.WritePassFile(store.Workspace) }, args);

    public void Dispose() => store.Dispose();
}
