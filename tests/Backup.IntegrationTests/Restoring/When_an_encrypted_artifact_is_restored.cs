using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Restoring;

/// <summary>The dumper encrypts to a passphrase; the restorer opens the artifact only with the keys it is configured with.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_an_encrypted_artifact_is_restored(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string Passphrase = "correct horse battery staple";
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    RestoreOutcomes outcomes = null!;
    string artifactKey = "";

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Encryption:Passphrase"] = Passphrase);
        rabbit = await RawRabbit.ConnectAsync(system);
        outcomes = await RestoreOutcomes.ListenAsync(rabbit);
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        artifactKey = (await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey!;
        Assert.EndsWith(".dump.zst.gpg", artifactKey);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    async Task<RestoreOutcome> RestoreAsync(string target)
    {
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, artifactKey, target);
        return await outcomes.WaitAsync(restoreId);
    }

    [Fact]
    public async Task It_restores_it_with_the_configured_passphrase()
    {
        await system.StartRestorer(settings => settings["Restore:Passphrase"] = Passphrase);
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(target);

        Assert.True(outcome.Completed, outcome.ToString());
        Assert.Equal(await system.Postgres.ScalarAsync<long>(system.SourceDatabase, "SELECT count(*) FROM billing.invoices"),
            await system.Postgres.ScalarAsync<long>(target, "SELECT count(*) FROM billing.invoices"));
    }

    [Fact]
    public async Task It_fails_with_DecryptionFailed_when_no_key_is_configured()
    {
        await system.StartRestorer();
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(target);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("DecryptionFailed", outcome.ErrorCode);
        Assert.Contains("Restore:Passphrase", outcome.Reason);
        Assert.False(await system.Postgres.ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{target}')"));
    }

    [Fact]
    public async Task It_fails_with_DecryptionFailed_when_the_passphrase_is_wrong()
    {
        await system.StartRestorer(settings => settings["Restore:Passphrase"] = "wrong horse");
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(target);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("DecryptionFailed", outcome.ErrorCode);
        Assert.Contains("Cannot decrypt", outcome.Reason);
        Assert.DoesNotContain("wrong horse", outcome.Reason);
        Assert.False(await system.Postgres.ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{target}')"));
    }
}
