using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;
using Backup.Storage.Encryption;

namespace Backup.Ctl.Tests;

/// <summary>Encrypted to an administrator's public key made by gpg; opened with the secret key gpg exports.</summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_an_artifact_is_encrypted_to_an_administrators_key(DemoSource source) : IAsyncLifetime
{
    readonly TestStore store = new();
    AdministratorKey admin = null!;
    ArtifactKey key = null!;

    public async Task InitializeAsync()
    {
        admin = await AdministratorKey.CreateAsync("ops@example.com");
        var stored = TestStore.Encrypt(TestStore.Compress(source.Archive), new EncryptionOptions { RecipientKeyFiles = [admin.PublicKeyFile] });
        key = await store.AddStoredAsync(source, stored, DateTimeOffset.UtcNow, encoding: ArtifactEncoding.ZstdOpenPgp);
    }

    [Fact]
    public async Task It_decrypts_it_with_the_secret_key_and_its_passphrase()
    {
        var output = Path.Combine(store.Workspace, "demo.dump");

        var run = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", output, "--decompress",
            "--secret-key-file", admin.SecretKeyFile,
            "--secret-key-passphrase-file", store.WriteFile("key-passphrase", AdministratorKey.Passphrase + "\n"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(source.Archive, await File.ReadAllBytesAsync(output));
    }

    [Fact]
    public async Task It_says_when_the_secret_keys_passphrase_is_wrong()
    {
        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--pg-bin", source.Postgres.BinDirectory,
            "--secret-key-file", admin.SecretKeyFile,
            "--secret-key-passphrase-file", store.WriteFile("key-passphrase", "not it\n"));

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains("is wrong", run.Errors);
    }

    [Fact]
    public async Task It_refuses_a_public_key_given_as_the_secret_key()
    {
        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--secret-key-file", admin.PublicKeyFile);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("holds only public keys", run.Errors);
    }

    public Task DisposeAsync()
    {
        store.Dispose();
        admin.Dispose();
        return Task.CompletedTask;
    }
}
