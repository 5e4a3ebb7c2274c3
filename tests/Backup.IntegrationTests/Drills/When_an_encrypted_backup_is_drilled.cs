using Backup.Database;
using Backup.Database.Verification;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Drills;

/// <summary>
/// An artifact encrypted to an administrator's OpenPGP key (made by the stock gpg) is drilled with the drill's own copy
/// of that administrator's secret key (Drills:SecretKeyFile): a passed drill also proves the key opens the backup; a
/// key that does not fails the drill with DecryptionFailed.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_an_encrypted_backup_is_drilled(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    GpgHome administrator = null!;
    GpgHome stranger = null!;
    RawRabbit rabbit = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        administrator = await GpgHome.CreateAsync("ops@example.com");
        stranger = await GpgHome.CreateAsync("someone-else@example.com");
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Encryption:RecipientKeyFiles:0"] = administrator.PublicKeyFile);
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        administrator.Dispose();
        stranger.Dispose();
    }

    async Task<BackupVerification> DrillAsync(string secretKeyFile)
    {
        var bare = infrastructure.BarePostgres;
        await system.StartRestorer(configure: c =>
        {
            c.DrillOnto(bare);
            c["Drills:SecretKeyFile"] = secretKeyFile;
        });
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        Assert.EndsWith(".dump.zst.gpg", (await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey);
        return await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.BackupVerifications.AsNoTracking()
                .SingleOrDefaultAsync(v => v.RunId == runId && (v.State == VerificationStates.Passed || v.State == VerificationStates.Failed));
        }, $"the drill of run {runId}", TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task The_administrators_key_opens_it_and_the_drill_passes()
    {
        var verification = await DrillAsync(await administrator.ExportSecretKeyAsync("ops@example.com"));

        Assert.True(verification.State == VerificationStates.Passed, $"{verification.ErrorCode}: {verification.Reason}");
        Assert.Contains("\"restoredRows\": 2000", verification.Tables);
    }

    [Fact]
    public async Task A_key_the_backup_was_not_encrypted_to_fails_the_drill_with_DecryptionFailed()
    {
        var verification = await DrillAsync(await stranger.ExportSecretKeyAsync("someone-else@example.com"));

        Assert.Equal((VerificationStates.Failed, VerificationErrorCodes.DecryptionFailed), (verification.State, verification.ErrorCode));
    }
}
