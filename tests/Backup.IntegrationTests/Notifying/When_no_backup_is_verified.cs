using Backup.Database.Notifications;
using Backup.Database.Verification;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Notifier;
using Backup.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The "no verified backup" alarm, on two notifier instances sharing one moved clock: demo, scheduled daily and drilled
/// for 30 hours, has a fresh successful backup, but no backup ever passed a drill. It alarms once (its own subject, not
/// the stale-backups alarm), again after Notifier:StaleRepeatInterval, and recovers once a drill passes (recorded by the
/// real catalog from BackupVerified); /health/ready says Degraded meanwhile, and the gauges follow. fresh, scheduled as
/// long but drilled only since now, is not alarmed: drills just turned on have had no chance to verify anything.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_no_backup_is_verified(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    readonly List<HttpClient> notifiers = [];
    RecordedMetrics metrics = null!;
    BackupCompleted backup = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        var thirtyHoursAgo = clock.GetUtcNow().AddHours(-30);
        await using (var catalog = system.Catalog())
        {
            foreach (var (source, drilledSince) in new[] { ("demo", thirtyHoursAgo), ("fresh", clock.GetUtcNow()) })
            {
                await catalog.Database.ExecuteSqlAsync($"""
                    INSERT INTO schedules (source, cron, time_zone, enabled, origin, updated_at, updated_by)
                    VALUES ({source}, '0 2 * * *', 'Etc/UTC', true, 'configuration', {thirtyHoursAgo}, 'test')
                    """);
                // Written here as the drill service writes it (when drills are turned on): after every backup, RTO target 30 min.
                await catalog.Database.ExecuteSqlAsync($"""
                    INSERT INTO drill_policies (source, every, rto_target, updated_at)
                    VALUES ({source}, interval '0', interval '30 minutes', {drilledSince})
                    """);
            }
        }
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
        // Fresh successful backups (before any notifier listens: no email), so only the verification is missing.
        backup = await StoredBackups.StoreAsync(system, 1000);
        var freshBackup = await StoredBackups.StoreAsync(system, 1000, source: "fresh");
        await rabbit.PublishEventAsync(backup);
        await rabbit.PublishEventAsync(freshBackup);
        await system.WaitForStateAsync(backup.RunId, Backup.Database.BackupRunStates.Completed);
        await system.WaitForStateAsync(freshBackup.RunId, Backup.Database.BackupRunStates.Completed);

        for (var i = 0; i < 2; i++)
        {
            var app = await system.StartNotifier(settings =>
            {
                settings["Notifier:StaleCheckInterval"] = "00:01:00";
                settings["Notifier:StaleRepeatInterval"] = "06:00:00";
            }, clock);
            notifiers.Add(new HttpClient { BaseAddress = new Uri(app.Urls.First()) });
            metrics ??= new RecordedMetrics(app);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var http in notifiers) http.Dispose();
        metrics.Dispose();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    int Alarms() => system.Mail.Messages.Count(m => m.Subject?.StartsWith("[Backup] ALERT demo: no verified backup", StringComparison.Ordinal) == true);

    double? Gauge(string gauge, string source = "demo") => metrics.Observe(gauge).SingleOrDefault(m => m.Tag("backup.source") == source)?.Value;

    async Task ReadinessOfBothAsync(string expected, string what)
    {
        foreach (var http in notifiers)
            await Eventually.True(async () => BackupHostDefaults.ReadyStatus(await (await http.GetAsync(BackupHostDefaults.ReadyPath)).Content.ReadAsStringAsync()) == expected, what);
    }

    [Fact]
    public async Task It_alarms_once_repeats_after_the_interval_and_recovers_when_a_drill_passes()
    {
        await Eventually.True(() => Task.FromResult(Alarms() == 1), "the first no-verified-backup alarm");
        // Both notifiers have checked once they both say Degraded: still one alarm.
        await ReadinessOfBothAsync("Degraded", "/health/ready to say Degraded");
        Assert.Equal(1, Alarms());
        Assert.DoesNotContain(system.Mail.Messages, m => m.Subject!.Contains("ALERT fresh")); // drilled only since now
        var alarm = system.Mail.Messages.Single(m => m.Subject!.Contains("ALERT demo: no verified backup"));
        Assert.Equal(MimeKit.MessagePriority.Urgent, alarm.Priority);
        Assert.Contains("no backup proven by a restore drill for longer than 26 h", alarm.TextBody);
        Assert.Contains("Last verified backup: none on record.", alarm.TextBody);
        Assert.DoesNotContain(system.Mail.Messages, m => m.Subject!.Contains("backups are stale"));
        // What a scrape reads from the last check: never verified, counted from the schedule's creation 30 h ago.
        await Eventually.True(() => Task.FromResult(Gauge(NotifierMetrics.UnverifiedName) == 1), "the unverified gauge");
        Assert.Equal(30 * 3600d, Gauge(NotifierMetrics.LastVerifiedAgeName)!.Value, 0.001);
        Assert.Equal(0, Gauge(NotifierMetrics.StaleName));
        Assert.Equal(0, Gauge(NotifierMetrics.UnverifiedName, "fresh"));
        Assert.Equal(0, Gauge(NotifierMetrics.LastVerifiedAgeName, "fresh")!.Value, 0.001);

        clock.Advance(TimeSpan.FromHours(6));
        await Eventually.True(() => Task.FromResult(Alarms() == 2), "the repeated alarm");
        Assert.Contains(system.Mail.Messages, m => m.Subject == "[Backup] ALERT demo: no verified backup (reminder 1)");

        // The drill of the backup passes; the real catalog records it.
        await rabbit.PublishEventAsync(new BackupVerified
        {
            RunId = backup.RunId,
            Source = "demo",
            ArtifactKey = backup.ArtifactKey,
            StartedAt = clock.GetUtcNow().AddSeconds(-95),
            VerifiedAt = clock.GetUtcNow(),
            RecoveryTimeSeconds = 95,
            RtoTargetSeconds = 1800,
            Steps = [new DrillStep { Name = "data", Seconds = 95 }],
            Tables = [],
            Checks = [],
        });
        await Eventually.True(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.BackupVerifications.AnyAsync(v => v.RunId == backup.RunId && v.State == VerificationStates.Passed);
        }, "the catalog to record the verification");
        clock.Advance(TimeSpan.FromMinutes(1));
        var recovery = await system.Mail.WaitForAsync(m => m.Subject?.Contains("RECOVERED demo") == true, "the recovery message");
        Assert.Equal("[Backup] RECOVERED demo: a recent backup is verified again", recovery.Subject);
        Assert.Contains($"(run {backup.RunId})", recovery.TextBody);
        Assert.Contains("measured recovery time 95.0 s (target 30 min)", recovery.TextBody);
        await ReadinessOfBothAsync("Healthy", "/health/ready to say Healthy");

        clock.Advance(TimeSpan.FromMinutes(1));
        await ReadinessOfBothAsync("Healthy", "/health/ready to stay Healthy");
        Assert.Single(system.Mail.Messages, m => m.Subject!.Contains("RECOVERED"));
        Assert.Equal(2, Alarms());
        Assert.DoesNotContain(system.Mail.Messages, m => m.Subject!.Contains("ALERT fresh"));
        await using (var catalog = system.Catalog())
        {
            var row = await catalog.StaleAlarms.AsNoTracking().SingleAsync();
            Assert.Equal((StaleAlarmKinds.Verification, 2), (row.Kind, row.Alerts));
            Assert.NotNull(row.RecoveredAt);
        }
        // The age now counts from the verified backup's completion as the catalog holds it.
        await Eventually.True(() => Task.FromResult(Gauge(NotifierMetrics.UnverifiedName) == 0), "the unverified gauge to go to 0");
        var completedAt = (await system.RunAsync(backup.RunId))!.CompletedAt!.Value;
        Assert.Equal((clock.GetUtcNow() - completedAt).TotalSeconds, Gauge(NotifierMetrics.LastVerifiedAgeName)!.Value, 0.001);
    }
}
