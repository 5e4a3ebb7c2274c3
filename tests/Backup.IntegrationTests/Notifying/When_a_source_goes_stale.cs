using Backup.Notifier;
using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;
using Backup.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The dead man's switch, on two notifier instances sharing one moved clock: a daily source with no successful backup
/// for 30 hours alarms once (not once per instance, not at every check), again after Notifier:StaleRepeatInterval,
/// and sends a recovery message once a backup completes; /health/ready says Degraded while it is stale.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_source_goes_stale(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    readonly List<HttpClient> notifiers = [];
    RecordedMetrics metrics = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await AddScheduleAsync("demo", clock.GetUtcNow().AddHours(-30));
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
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        foreach (var http in notifiers) http.Dispose();
        metrics.Dispose();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    int Alarms(string source) => system.Mail.Messages.Count(m => m.Subject?.Contains($"ALERT {source}: backups are stale") == true);

    [Fact]
    public async Task It_alarms_once_repeats_after_the_interval_and_recovers_when_a_backup_completes()
    {
        await Eventually.True(() => Task.FromResult(Alarms("demo") == 1), "the first stale alarm");
        var alarm = system.Mail.Messages.Single(m => m.Subject!.Contains("stale"));
        Assert.Contains("no successful backup for longer than 26 h", alarm.TextBody);
        Assert.Contains("none on record", alarm.TextBody);
        foreach (var http in notifiers)
            await Eventually.True(async () => BackupHostDefaults.ReadyStatus(await (await http.GetAsync(BackupHostDefaults.ReadyPath)).Content.ReadAsStringAsync()) == "Degraded",
                "/health/ready to say Degraded");
        // What a scrape reads from the last check: demo, scheduled 30 h ago and never backed up, is 30 h old and stale.
        await Eventually.True(() => Task.FromResult(Gauge(NotifierMetrics.StaleName, "demo") == 1), "the stale gauge of demo");
        Assert.Equal(30 * 3600d, Gauge(NotifierMetrics.LastSuccessAgeName, "demo")!.Value, 0.001);

        // A second stale source alarms at the next check: that check did not repeat demo's alarm.
        await AddScheduleAsync("other", clock.GetUtcNow().AddDays(-3));
        clock.Advance(TimeSpan.FromMinutes(1));
        await Eventually.True(() => Task.FromResult(Alarms("other") == 1), "the other source's alarm");
        Assert.Equal(1, Alarms("demo"));

        clock.Advance(TimeSpan.FromHours(6) - TimeSpan.FromMinutes(1));
        await Eventually.True(() => Task.FromResult(Alarms("demo") == 2), "the repeated alarm");
        Assert.Equal(1, Alarms("other"));

        // A backup completes (the catalog records it): the next check recovers demo, and only demo; other, alerted a
        // minute after demo, gets its repeat at that check.
        var backup = await StoredBackups.StoreAsync(system, 1000);
        await rabbit.PublishEventAsync(backup);
        await system.WaitForStateAsync(backup.RunId, Backup.Database.BackupRunStates.Delivered);
        clock.Advance(TimeSpan.FromMinutes(1));
        var recovery = await system.Mail.WaitForAsync(m => m.Subject?.Contains("RECOVERED demo") == true, "the recovery message");
        Assert.Contains("successful backup again", recovery.TextBody);
        await Eventually.True(() => Task.FromResult(Alarms("other") == 2), "the other source's repeated alarm");

        clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var http in notifiers)
            await Eventually.True(async () => BackupHostDefaults.ReadyStatus(await (await http.GetAsync(BackupHostDefaults.ReadyPath)).Content.ReadAsStringAsync()) == "Degraded",
                "/health/ready to still say Degraded (other is stale)");
        await using var catalog = system.Catalog();
        var demo = await catalog.StaleAlarms.AsNoTracking().SingleAsync(a => a.Source == "demo");
        Assert.Equal(2, demo.Alerts);
        Assert.NotNull(demo.RecoveredAt);
        Assert.Null((await catalog.StaleAlarms.AsNoTracking().SingleAsync(a => a.Source == "other")).RecoveredAt);
        Assert.Single(system.Mail.Messages, m => m.Subject?.Contains("RECOVERED") == true);
        Assert.Equal((2, 2), (Alarms("demo"), Alarms("other")));

        // demo's age is now counted from the backup's completion as the catalog holds it; other, 3 days and 6 h old, still stale.
        await Eventually.True(() => Task.FromResult(Gauge(NotifierMetrics.StaleName, "demo") == 0), "the stale gauge of demo to go to 0");
        var completedAt = (await system.RunAsync(backup.RunId))!.CompletedAt!.Value;
        Assert.Equal((clock.GetUtcNow() - completedAt).TotalSeconds, Gauge(NotifierMetrics.LastSuccessAgeName, "demo")!.Value, 0.001);
        Assert.Equal(1, Gauge(NotifierMetrics.StaleName, "other"));
        Assert.True(Gauge(NotifierMetrics.LastSuccessAgeName, "other") >= TimeSpan.FromDays(3).Add(TimeSpan.FromHours(6)).TotalSeconds);
    }

    /// <summary>The value a scrape of the first notifier reads now from <paramref name="gauge"/> for <paramref name="source"/>.</summary>
    double? Gauge(string gauge, string source) =>
        metrics.Observe(gauge).SingleOrDefault(m => m.Tag("backup.source") == source)?.Value;

    [Fact]
    public async Task Without_stale_sources_it_is_healthy()
    {
        await using (var catalog = system.Catalog())
        {
            await catalog.Database.ExecuteSqlAsync($"UPDATE schedules SET updated_at = {clock.GetUtcNow()}");
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var http in notifiers)
            await Eventually.True(async () => BackupHostDefaults.ReadyStatus(await (await http.GetAsync(BackupHostDefaults.ReadyPath)).Content.ReadAsStringAsync()) == "Healthy",
                "/health/ready to say Healthy");
    }

    async Task AddScheduleAsync(string source, DateTimeOffset updatedAt)
    {
        await using var catalog = system.Catalog();
        await catalog.Database.ExecuteSqlAsync($"""
            INSERT INTO schedules (source, cron, time_zone, enabled, origin, updated_at, updated_by)
            VALUES ({source}, '0 2 * * *', 'Etc/UTC', true, 'configuration', {updatedAt}, 'test')
            """);
    }
}
