using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// Encryption at rest that standard tools read: the artifact is OpenPGP-encrypted to an administrator's public key
/// (made here by the stock gpg), and the README's "gpg --decrypt | zstd -dc | pg_restore" line brings the data back.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_artifacts_are_encrypted(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    GpgHome gpg = null!;
    readonly Guid runId = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.GrantToAReaderAsync(); // the archive names roles of the source's server only
        gpg = await GpgHome.CreateAsync("ops@example.com");
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Encryption:RecipientKeyFiles:0"] = gpg.PublicKeyFile);
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.RequestBackupAsync(runId, "demo");
    }

    public async Task DisposeAsync()
    {
        await system.DisposeAsync();
        gpg.Dispose();
    }

    [Fact]
    public async Task It_stores_only_ciphertext_that_stock_gpg_decrypts_and_pg_restore_restores()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        Assert.EndsWith(".dump.zst.gpg", run.ArtifactKey);
        var path = Path.Combine(system.StoreRoot, run.ArtifactKey!);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.NotEqual([0x28, 0xB5, 0x2F, 0xFD], bytes[..4]); // not a bare zstd frame
        Assert.Equal(-1, IndexOf(bytes, "customer1@example.com"u8.ToArray()));

        var restored = await system.RestoreAsync(path, gpg);
        Assert.Equal(await system.Postgres.ScalarAsync<long>(system.SourceDatabase, "SELECT count(*) FROM public.orders"),
            await system.Postgres.ScalarAsync<long>(restored, "SELECT count(*) FROM public.orders"));
    }

    [Fact]
    public async Task The_READMEs_gpg_line_restores_it_onto_a_server_without_the_sources_roles()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed);

        var restored = await system.RestoreAsync(Path.Combine(system.StoreRoot, run.ArtifactKey!), gpg, system.BarePostgres);

        Assert.False(await system.BarePostgres.RoleExistsAsync(system.ReaderRole));
        foreach (var table in new[] { "billing.invoices", "public.customers", "public.orders" })
            Assert.Equal(await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {table}"),
                await system.BarePostgres.ScalarAsync<long>(restored, $"SELECT count(*) FROM {table}"));
    }

    [Fact]
    public async Task It_names_the_recipients_in_the_manifest_but_no_key()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        var key = ArtifactKey.Parse(run.ArtifactKey);
        var json = await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, key.ManifestPath));
        var manifest = System.Text.Json.JsonSerializer.Deserialize<ArtifactManifest>(json, ArtifactManifest.Contract)!;
        Assert.Equal("pg_dump-custom+zstd+openpgp", manifest.Format);
        Assert.Equal("openpgp", manifest.Encryption!.Method);
        Assert.Contains(manifest.Encryption.Recipients, r => r.Contains("ops@example.com"));
        Assert.DoesNotContain("BEGIN PGP", json);
    }

    static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}

/// <summary>Encryption configured, but its key file is gone by the time of the dump: the run fails, no plaintext is written.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_encryption_key_is_gone_at_dump_time(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    GpgHome gpg = null!;
    readonly Guid runId = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        gpg = await GpgHome.CreateAsync("ops@example.com");
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Encryption:RecipientKeyFiles:0"] = gpg.PublicKeyFile);
        File.Delete(gpg.PublicKeyFile);
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.RequestBackupAsync(runId, "demo");
    }

    public async Task DisposeAsync()
    {
        await system.DisposeAsync();
        gpg.Dispose();
    }

    [Fact]
    public async Task It_fails_with_EncryptionFailed_and_writes_nothing()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        Assert.Equal("EncryptionFailed", run.FailureCode);
        Assert.Contains("Encryption:RecipientKeyFiles", run.FailureReason);
        Assert.Empty(Directory.EnumerateFiles(system.StoreRoot, "*", SearchOption.AllDirectories));
    }
}
