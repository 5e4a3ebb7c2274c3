using System.Diagnostics;
using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;
using Backup.Storage.Encryption;

namespace Backup.Ctl.Tests;

/// <summary>
/// <c>backupctl keys generate</c> writes a key pair that works end to end: the dumper's encryptor (and its start-up
/// check of Encryption:RecipientKeyFiles) takes the public half, and backupctl's decrypt opens the artifact with the
/// secret half, byte for byte the pg_dump archive of a real database. The secret key is 0600, no key material is
/// printed, and existing files are never overwritten.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_administrators_keys_are_generated(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    string PublicKey => Path.Combine(store.Workspace, "admins.pub.asc");
    string SecretKey => Path.Combine(store.Workspace, "admins.sec.asc");

    [Fact]
    public async Task The_dumper_encrypts_to_the_public_key_and_backupctl_decrypts_with_the_secret_key()
    {
        var passphraseFile = store.WriteFile("key-passphrase", "a long passphrase for the admins' key\n");

        var generated = await Backupctl.RunAsync("keys", "generate", "--public-key-file", PublicKey, "--secret-key-file", SecretKey,
            "--passphrase-file", passphraseFile, "--user-id", "Backup administrators <ops@example.com>");

        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SecretKey));
        Assert.StartsWith("-----BEGIN PGP PRIVATE KEY BLOCK-----", await File.ReadAllTextAsync(SecretKey));
        Assert.StartsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----", await File.ReadAllTextAsync(PublicKey));
        Assert.DoesNotContain("BEGIN PGP", generated.All);
        Assert.Matches("fingerprint [0-9A-F]{40}", generated.Output);

        var encryption = new EncryptionOptions { RecipientKeyFiles = [PublicKey], Required = true };
        Assert.Empty(encryption.Validate());
        var stored = TestStore.Encrypt(TestStore.Compress(source.Archive), encryption);
        var key = await store.AddStoredAsync(source, stored, DateTimeOffset.UtcNow, encoding: ArtifactEncoding.ZstdOpenPgp);
        var output = Path.Combine(store.Workspace, "demo.dump");

        var decrypted = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", output, "--decompress",
            "--secret-key-file", SecretKey, "--secret-key-passphrase-file", passphraseFile);

        Assert.True(decrypted.ExitCode == 0, decrypted.ToString());
        Assert.Equal(source.Archive, await File.ReadAllBytesAsync(output));

        var withoutThePassphrase = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value,
            "--out", Path.Combine(store.Workspace, "again.dump"), "--decompress", "--secret-key-file", SecretKey);
        Assert.True(withoutThePassphrase.ExitCode == ExitCodes.ArtifactFailed, withoutThePassphrase.ToString());
    }

    /// <summary>
    /// Without a passphrase (docs/restore.md: then the secret key file itself must be kept safe): the stock gpg imports
    /// the secret key and decrypts an artifact encrypted to the public key, and so does backupctl. A key written with a
    /// SHA-1 check but no protection was imported by gpg and then refused ("public key decryption failed: Checksum error").
    /// </summary>
    [Fact]
    public async Task A_key_without_a_passphrase_opens_an_artifact_in_gpg_and_in_backupctl()
    {
        var generated = await Backupctl.RunAsync("keys", "generate", "--public-key-file", PublicKey, "--secret-key-file", SecretKey);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Contains("without a passphrase", generated.Output);

        var compressed = TestStore.Compress(source.Archive);
        var stored = TestStore.Encrypt(compressed, new EncryptionOptions { RecipientKeyFiles = [PublicKey], Required = true });
        var key = await store.AddStoredAsync(source, stored, DateTimeOffset.UtcNow, encoding: ArtifactEncoding.ZstdOpenPgp);

        var home = Directory.CreateTempSubdirectory("ctl-gpg-").FullName;
        try
        {
            File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var byGpg = Path.Combine(store.Workspace, "by-gpg.dump.zst");
            await GpgAsync(home, "--import", SecretKey);
            await GpgAsync(home, "--output", byGpg, "--decrypt", store.PathOf(key));
            Assert.Equal(compressed, await File.ReadAllBytesAsync(byGpg));
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } // gpg-agent may still be writing
        }

        var byBackupctl = Path.Combine(store.Workspace, "by-backupctl.dump");
        var decrypted = await Backupctl.RunAsync("decrypt", "--store", store.Root, key.Value, "--out", byBackupctl, "--decompress",
            "--secret-key-file", SecretKey);
        Assert.True(decrypted.ExitCode == 0, decrypted.ToString());
        Assert.Equal(source.Archive, await File.ReadAllBytesAsync(byBackupctl));
    }

    static async Task GpgAsync(string home, params string[] arguments)
    {
        var start = new ProcessStartInfo("gpg") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var argument in (string[])["--homedir", home, "--batch", "--quiet", .. arguments]) start.ArgumentList.Add(argument);
        using var gpg = Process.Start(start)!;
        gpg.StandardInput.Close();
        var errors = gpg.StandardError.ReadToEndAsync();
        var output = gpg.StandardOutput.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await gpg.WaitForExitAsync(deadline.Token);
        await output;
        Assert.True(gpg.ExitCode == 0, $"gpg {string.Join(' ', arguments)} exited with {gpg.ExitCode}: {await errors}");
    }

    [Fact]
    public async Task It_refuses_to_overwrite_a_key_file_and_writes_nothing()
    {
        await File.WriteAllTextAsync(PublicKey, "the key the dumper uses today");

        var run = await Backupctl.RunAsync("keys", "generate", "--public-key-file", PublicKey, "--secret-key-file", SecretKey);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("already exists; keys are never overwritten", run.Errors);
        Assert.Equal("the key the dumper uses today", await File.ReadAllTextAsync(PublicKey));
        Assert.False(File.Exists(SecretKey));
    }

    public void Dispose() => store.Dispose();
}
