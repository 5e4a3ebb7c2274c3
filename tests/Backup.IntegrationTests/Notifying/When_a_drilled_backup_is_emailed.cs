using Backup.Database.Verification;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The backup email says whether the backup is verified. With restore drills on for demo: a backup not drilled yet is
/// "pending", with demo's last verified backup (recorded by the real catalog from a BackupVerified), when it was made
/// and verified, and its measured recovery time against the target; a backup whose drill was decided before its email
/// went out says so with its RTO. A source without drills gets one line saying so.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_drilled_backup_is_emailed(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    BackupCompleted earlier = null!;
    BackupVerified earlierVerified = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        // Written here as the drill service writes it (it is demo's drill policy: every backup, RTO target 30 min).
        await using (var catalog = system.Catalog())
            await catalog.Database.ExecuteSqlAsync($"""
                INSERT INTO drill_policies (source, every, rto_target, updated_at)
                VALUES ('demo', interval '0', interval '30 minutes', {DateTimeOffset.UtcNow})
                """);
        await system.StartCatalog();
        await system.StartNotifier();
        rabbit = await RawRabbit.ConnectAsync(system);

        earlier = await StoredBackups.StoreAsync(system, 1000);
        await rabbit.PublishEventAsync(earlier);
        await system.WaitForStateAsync(earlier.RunId, Backup.Database.BackupRunStates.Delivered);
        earlierVerified = Verified(earlier, recoverySeconds: 252);
        await RecordVerificationAsync(earlierVerified);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    static BackupVerified Verified(BackupCompleted backup, double recoverySeconds) => new()
    {
        RunId = backup.RunId,
        Source = backup.Source,
        ArtifactKey = backup.ArtifactKey,
        StartedAt = DateTimeOffset.UtcNow.AddSeconds(-recoverySeconds),
        VerifiedAt = DateTimeOffset.UtcNow,
        RecoveryTimeSeconds = recoverySeconds,
        RtoTargetSeconds = 1800,
        Steps = [new DrillStep { Name = "fetch", Seconds = 1 }, new DrillStep { Name = "data", Seconds = recoverySeconds - 1 }],
        Tables = [.. StoredBackups.Tables.Select(t => new RestoredTable { Schema = t.Schema, Name = t.Name, ExpectedRows = t.Rows, RestoredRows = t.Rows })],
        Checks = [],
    };

    /// <summary>Publishes the drill's event; the real catalog records it in backup_verifications.</summary>
    async Task RecordVerificationAsync(BackupVerified verified)
    {
        await rabbit.PublishEventAsync(verified);
        await Eventually.True(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.BackupVerifications.AnyAsync(v => v.RunId == verified.RunId && v.State == VerificationStates.Passed);
        }, "the catalog to record the verification");
    }

    [Fact]
    public async Task A_backup_not_drilled_yet_is_pending_with_the_last_verified_backup_and_its_RTO()
    {
        var first = Assert.Single(system.Mail.Messages, m => IsBackupEmail(m, earlier));
        Assert.Contains("Last verified backup: none on record.", first.TextBody);

        var backup = await StoredBackups.StoreAsync(system, 1000);
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => IsBackupEmail(m, backup), "the backup email");

        var completedAt = (await system.RunAsync(earlier.RunId))!.CompletedAt!.Value;
        foreach (var body in new[] { mail.TextBody!, mail.HtmlBody! })
        {
            Assert.Contains("Verification: pending — a restore drill will restore this backup into a scratch database; you are alerted if it fails.", body);
            Assert.Contains($"Last verified backup: {Time(completedAt)} (run {earlier.RunId}), verified {Time(earlierVerified.VerifiedAt)}, " +
                            "measured recovery time 4 min (target 30 min).", body);
        }
    }

    [Fact]
    public async Task A_backup_drilled_before_its_email_says_passed_with_its_RTO()
    {
        var backup = await StoredBackups.StoreAsync(system, 1000);
        await RecordVerificationAsync(Verified(backup, recoverySeconds: 95));
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => IsBackupEmail(m, backup), "the backup email");

        Assert.Contains("restored into a scratch database and proven; measured recovery time 95.0 s (target 30 min).", mail.TextBody);
        Assert.DoesNotContain("pending", mail.TextBody);
    }

    [Fact]
    public async Task A_source_without_drills_gets_one_line_saying_so()
    {
        var backup = await StoredBackups.StoreAsync(system, 1000, source: "other");
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => IsBackupEmail(m, backup), "the backup email");

        Assert.Contains("Verification: none (backups of other are not restore-drilled).", mail.TextBody);
        Assert.DoesNotContain("Last verified backup", mail.TextBody);
    }

    static bool IsBackupEmail(MimeKit.MimeMessage message, BackupCompleted backup) =>
        message.Subject?.Contains("backup completed") == true && message.IsAbout(backup.RunId);

    static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
