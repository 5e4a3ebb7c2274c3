using Backup.ServiceDefaults;
using Backup.Catalog.Data;
using Backup.Catalog.Data.Notifications;
using Backup.Catalog.Data.Scheduling;
using Backup.Notifier.Alerts;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Backup.Notifier.Stale;

/// <summary>
/// The dead man's switch, apart from the dumper and the scheduler: every Notifier:StaleCheckInterval it reads the
/// catalog's <c>schedules</c> and each source's last successful run (Completed, Delivered, or since Expired), and
/// judges each enabled source with <see cref="Staleness"/> (the schedule's interval plus Notifier:StaleGrace), as
/// GET /api/v1/sources does. A stale source gets one alarm per episode, repeated every Notifier:StaleRepeatInterval
/// while it stays stale, and a recovery message once a backup succeeds again; email to the source's administrators
/// and the webhooks. Each alarm is claimed in <c>stale_alarms</c> under a row lock first, so of several notifiers
/// exactly one sends it; a claim whose email fails is given back and tried at the next check.
/// </summary>
public sealed class StaleAlarmWorker(
    IServiceScopeFactory scopes,
    StaleSources stale,
    IMailSender mail,
    WebhookPoster webhooks,
    IOptions<NotifierOptions> options,
    TimeProvider clock,
    ILogger<StaleAlarmWorker> logger) : PeriodicWork(clock)
{
    readonly NotifierOptions notifier = options.Value;

    protected override TimeSpan Interval => notifier.StaleCheckInterval;

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => CheckAsync(cancellationToken);

    protected override void Failed(Exception exception) => Log.StaleCheckFailed(logger, exception); // the catalog database is away: again at the next tick

    sealed record SourceRow(Schedule Schedule, DateTimeOffset? LastSuccess);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        List<SourceRow> rows;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            rows = await db.Schedules.AsNoTracking().OrderBy(s => s.Source).Select(s => new SourceRow(
                    s,
                    db.BackupRuns.Where(r => r.Source == s.Source
                            && (BackupRunStates.WithArtifact.Contains(r.CurrentState) || r.CurrentState == BackupRunStates.Expired))
                        .Max(r => r.CompletedAt)))
                .ToListAsync(cancellationToken);
        }

        var judged = new List<SourceFreshness>();
        foreach (var (schedule, lastSuccess) in rows)
        {
            if (!schedule.Enabled || !ScheduleRules.TryParse(schedule.Cron, schedule.TimeZone, out var cron, out var zone, out _))
                continue;
            var isStale = Staleness.IsStale(cron, zone, lastSuccess, schedule.UpdatedAt, now, notifier.StaleGrace);
            judged.Add(new SourceFreshness(schedule.Source, lastSuccess ?? schedule.UpdatedAt, isStale));
            try
            {
                if (isStale)
                    await AlarmAsync(schedule.Source, lastSuccess, Staleness.Allowance(cron, zone, now, notifier.StaleGrace), now, cancellationToken);
                else
                    await RecoverAsync(schedule.Source, lastSuccess, now, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.StaleAlarmNotSent(logger, schedule.Source, e.GetType().Name); // the other sources are still checked
            }
        }
        stale.Set(judged);
    }

    async Task AlarmAsync(string source, DateTimeOffset? lastSuccess, TimeSpan allowance, DateTimeOffset now, CancellationToken cancellationToken)
    {
        DateTimeOffset? previous;
        int alarm;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO stale_alarms (source, stale_since, last_success_at, alerts, updated_at)
                VALUES ({source}, {now}, {lastSuccess}, 0, {now}) ON CONFLICT (source) DO NOTHING
                """, cancellationToken);
            var row = await db.StaleAlarms.FromSql($"SELECT * FROM stale_alarms WHERE source = {source} FOR UPDATE")
                .AsTracking().SingleAsync(cancellationToken);
            if (row.RecoveredAt is not null) // a new episode
                (row.StaleSince, row.LastSuccessAt, row.LastAlertedAt, row.Alerts, row.RecoveredAt) = (now, lastSuccess, null, 0, null);
            if (row.LastAlertedAt is { } last && now - last < notifier.StaleRepeatInterval)
            {
                await transaction.CommitAsync(cancellationToken);
                return; // alerted recently (by this or another notifier)
            }
            previous = row.LastAlertedAt;
            (row.LastAlertedAt, row.UpdatedAt) = (now, now);
            alarm = ++row.Alerts;
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        try
        {
            var to = notifier.AdministratorsOf(source);
            using var message = BackupEmails.Stale(notifier.From, to, source, lastSuccess, allowance, alarm, notifier.StaleRepeatInterval);
            await mail.SendAsync(message, cancellationToken);
            Log.StaleAlarmSent(logger, source, alarm);
        }
        catch
        {
            await GiveBackAsync($"""
                UPDATE stale_alarms SET last_alerted_at = {previous}, alerts = alerts - 1
                WHERE source = {source} AND last_alerted_at = {now} AND recovered_at IS NULL
                """);
            throw;
        }
        await webhooks.TryPostAsync(new Alert
        {
            Kind = "backup.stale",
            Source = source,
            At = now,
            Title = $"Backups of {source} are stale",
            Text = BackupEmails.StaleText(source, lastSuccess, allowance, alarm, notifier.StaleRepeatInterval),
        }, cancellationToken);
    }

    async Task RecoverAsync(string source, DateTimeOffset? lastSuccess, DateTimeOffset now, CancellationToken cancellationToken)
    {
        StaleAlarm? row;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            row = await db.StaleAlarms.FromSql($"SELECT * FROM stale_alarms WHERE source = {source} AND recovered_at IS NULL FOR UPDATE")
                .AsTracking().SingleOrDefaultAsync(cancellationToken);
            if (row is null) return;
            (row.RecoveredAt, row.UpdatedAt) = (now, now);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        if (row.Alerts == 0) return; // its alarm never went out: nothing to recover from

        try
        {
            using var message = BackupEmails.Recovered(notifier.From, notifier.AdministratorsOf(source), source, lastSuccess, row.StaleSince);
            await mail.SendAsync(message, cancellationToken);
            Log.StaleRecovered(logger, source);
        }
        catch
        {
            await GiveBackAsync($"UPDATE stale_alarms SET recovered_at = NULL WHERE source = {source} AND recovered_at = {now}");
            throw;
        }
        await webhooks.TryPostAsync(new Alert
        {
            Kind = "backup.recovered",
            Source = source,
            At = now,
            Title = $"Backups of {source} are current again",
            Text = BackupEmails.RecoveredText(source, lastSuccess, row.StaleSince),
        }, cancellationToken);
    }

    async Task GiveBackAsync(FormattableString sql)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await db.Database.ExecuteSqlAsync(sql, CancellationToken.None);
    }

    // PostgreSQL keeps microseconds: the times written are the times read back.
    DateTimeOffset Now()
    {
        var now = Clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
