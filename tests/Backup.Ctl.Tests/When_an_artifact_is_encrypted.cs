using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;

namespace Backup.Ctl.Tests;

/// <summary>Artifacts encrypted with OpenPGP to a passphrase by the real encryptor, after zstd, as the dumper stores them.</summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_an_artifact_is_encrypted(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    Task<ArtifactKey> AddAsync() => store.AddAsync(source, DateTimeOffset.UtcNow, encoding: ArtifactEncoding.ZstdOpenPgp);

    string PassphraseFile(string passphrase = TestStore.Passphrase) => store.WriteFile("passphrase", passphrase + "\n");

    [Fact]
    public async Task It_verifies_only_the_stored_bytes_without_a_key()
    {
        var key = await AddAsync();

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"OK {key} (stored bytes only: it is encrypted and no key was given", run.Output);
    }

    [Fact]
    public async Task It_verifies_the_content_with_the_passphrase()
    {
        var key = await AddAsync();

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--passphrase-file", PassphraseFile(),
            "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("content: decrypted, decompressed", run.Output);
        Assert.Contains($"OK {key}", run.Output);
    }

    [Fact]
    public async Task It_refuses_a_wrong_passphrase()
    {
        var key = await AddAsync();

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--passphrase-file", PassphraseFile("wrong horse"),
            "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains($"Cannot decrypt {key}", run.Errors);
    }

    [Fact]
    public async Task It_decrypts_it_to_the_zstd_archive()
    {
        var key = await AddAsync();
        var output = Path.Combine(store.Workspace, "demo.dump.zst");

        var run = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", output, "--passphrase-file", PassphraseFile());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(source.Archive, TestStore.Decompress(await File.ReadAllBytesAsync(output)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
    }

    [Fact]
    public async Task It_decrypts_and_decompresses_it_to_the_pg_dump_archive()
    {
        var key = await AddAsync();
        var output = Path.Combine(store.Workspace, "demo.dump");

        var run = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", output, "--decompress",
            "--passphrase-file", PassphraseFile());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(source.Archive, await File.ReadAllBytesAsync(output));
    }

    [Fact]
    public async Task It_writes_nothing_when_the_passphrase_is_wrong()
    {
        var key = await AddAsync();
        var output = Path.Combine(store.Workspace, "demo.dump");

        var run = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", output, "--passphrase-file", PassphraseFile("nope"));

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Equal(["passphrase"], Directory.EnumerateFiles(store.Workspace).Select(Path.GetFileName));
    }

    [Fact]
    public async Task It_restores_it_with_the_passphrase()
    {
        var key = await AddAsync();
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target, "--passphrase-file", PassphraseFile(),
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == 0, run.ToString());
        await RestoredDatabase.AssertEqualToSourceAsync(source, target);
    }

    [Fact]
    public async Task It_refuses_to_restore_it_without_a_key()
    {
        var key = await AddAsync();
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target,
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("is encrypted: give --passphrase-file", run.Errors);
        Assert.False(await source.Postgres.DatabaseExistsAsync(target));
    }

    public void Dispose() => store.Dispose();
}
