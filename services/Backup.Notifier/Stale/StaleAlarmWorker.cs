using Backup.ServiceDefaults;
using Backup.Database;
using Backup.Database.Notifications;
using Backup.Database.Scheduling;
using Backup.Notifier.Alerts;
using Backup.Notifier.Drills;
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
/// GET /api/v1/sources does. A source with restore drills on (a <c>drill_policies</c> row) is also judged by its
/// newest verified backup (<see cref="Staleness.IsUnverified"/>: the interval plus the policy's Every plus the grace). Each finding is its own episode (<see cref="StaleAlarmKinds"/>): one alarm, repeated every
/// Notifier:StaleRepeatInterval while it lasts, and a recovery message once it ends; email to the source's
/// administrators and the webhooks. Each alarm is claimed in <c>stale_alarms</c> under a row lock first, so of several
/// notifiers exactly one sends it; a claim whose email fails is given back and tried at the next check.
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

    /// <summary>A schedule, its source's last success and, with drills on, the drill policy's interval and when it was written.</summary>
    sealed record SourceRow(Schedule Schedule, DateTimeOffset? LastSuccess, TimeSpan? DrillEvery, DateTimeOffset? DrillsSince);

    /// <summary>How one kind of alarm speaks: its email and webhook alert for alarm n, and for the recovery (given when the episode began).</summary>
    sealed record AlarmMessages(
        Func<int, MimeMessage> Alarm, Func<int, Alert> AlarmAlert, Action<int> AlarmSent,
        Func<DateTimeOffset, MimeMessage> Recovery, Func<DateTimeOffset, Alert> RecoveryAlert, Action RecoverySent);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        List<SourceRow> rows;
        var lastVerified = new Dictionary<string, VerifiedBackup?>(StringComparer.Ordinal);
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            rows = await db.Schedules.AsNoTracking().OrderBy(s => s.Source).Select(s => new SourceRow(
                    s,
                    db.BackupRuns.Where(r => r.Source == s.Source
                            && (BackupRunStates.WithArtifact.Contains(r.CurrentState) || r.CurrentState == BackupRunStates.Expired))
                        .Max(r => r.CompletedAt),
                    db.DrillPolicies.Where(p => p.Source == s.Source).Select(p => (TimeSpan?)p.Every).FirstOrDefault(),
                    db.DrillPolicies.Where(p => p.Source == s.Source).Select(p => (DateTimeOffset?)p.UpdatedAt).FirstOrDefault()))
                .ToListAsync(cancellationToken);
            foreach (var row in rows.Where(r => r.Schedule.Enabled && r.DrillEvery is not null))
                lastVerified[row.Schedule.Source] = await DrillFacts.LastVerifiedAsync(db, row.Schedule.Source, cancellationToken);
        }

        var judged = new List<SourceFreshness>();
        foreach (var (schedule, lastSuccess, drillEvery, drillsSince) in rows)
        {
            if (!schedule.Enabled || !ScheduleRules.TryParse(schedule.Cron, schedule.TimeZone, out var cron, out var zone, out _))
                continue;
            var source = schedule.Source;
            var isStale = Staleness.IsStale(cron, zone, lastSuccess, schedule.UpdatedAt, now, notifier.StaleGrace);
            var freshness = new SourceFreshness(source, lastSuccess ?? schedule.UpdatedAt, isStale);
            await JudgeAsync(StaleAlarmKinds.Backup, source, isStale, lastSuccess, now,
                BackupMessages(source, lastSuccess, Staleness.Allowance(cron, zone, now, notifier.StaleGrace), now), cancellationToken);

            if (drillEvery is { } every)
            {
                var last = lastVerified[source];
                // None verified yet: counted from when the drill service wrote the source's policy (drills turned on or
                // changed), so turning drills on alarms no source at once.
                var since = drillsSince!.Value;
                var allowance = Staleness.VerifiedAllowance(cron, zone, every, now, notifier.StaleGrace);
                var unverified = Staleness.IsUnverified(cron, zone, every, last?.BackupAt, since, now, notifier.StaleGrace);
                freshness = freshness with { LastVerifiedOrSince = last?.BackupAt ?? since, Unverified = unverified };
                await JudgeAsync(StaleAlarmKinds.Verification, source, unverified, last?.BackupAt, now,
                    VerificationMessages(source, last, allowance, now), cancellationToken);
            }
            else
                await EndQuietlyAsync(StaleAlarmKinds.Verification, source, now, cancellationToken);
            judged.Add(freshness);
        }
        stale.Set(judged);
    }

    async Task JudgeAsync(string kind, string source, bool alarming, DateTimeOffset? lastGood, DateTimeOffset now,
        AlarmMessages messages, CancellationToken cancellationToken)
    {
        try
        {
            if (alarming)
                await AlarmAsync(kind, source, lastGood, now, messages, cancellationToken);
            else
                await RecoverAsync(kind, source, now, messages, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StaleAlarmNotSent(logger, source, e.GetType().Name); // the other sources and kinds are still checked
        }
    }

    AlarmMessages BackupMessages(string source, DateTimeOffset? lastSuccess, TimeSpan allowance, DateTimeOffset now) => new(
        alarm => BackupEmails.Stale(notifier.From, notifier.AdministratorsOf(source), source, lastSuccess, allowance, alarm, notifier.StaleRepeatInterval),
        alarm => new Alert
        {
            Kind = "backup.stale",
            Source = source,
            At = now,
            Title = $"Backups of {source} are stale",
            Text = BackupEmails.StaleText(source, lastSuccess, allowance, alarm, notifier.StaleRepeatInterval),
        },
        alarm => Log.StaleAlarmSent(logger, source, alarm),
        since => BackupEmails.Recovered(notifier.From, notifier.AdministratorsOf(source), source, lastSuccess, since),
        since => new Alert
        {
            Kind = "backup.recovered",
            Source = source,
            At = now,
            Title = $"Backups of {source} are current again",
            Text = BackupEmails.RecoveredText(source, lastSuccess, since),
        },
        () => Log.StaleRecovered(logger, source));

    AlarmMessages VerificationMessages(string source, VerifiedBackup? last, TimeSpan allowance, DateTimeOffset now) => new(
        alarm => DrillEmails.Unverified(notifier.From, notifier.AdministratorsOf(source), source, last, allowance, alarm, notifier.StaleRepeatInterval),
        alarm => new Alert
        {
            Kind = "verification.stale",
            Source = source,
            At = now,
            Title = $"No verified backup of {source}",
            Text = DrillEmails.UnverifiedText(source, last, allowance, alarm, notifier.StaleRepeatInterval),
        },
        alarm => Log.UnverifiedAlarmSent(logger, source, alarm),
        since => DrillEmails.VerifiedAgain(notifier.From, notifier.AdministratorsOf(source), source, last, since),
        since => new Alert
        {
            Kind = "verification.recovered",
            Source = source,
            At = now,
            Title = $"{source} has a recent verified backup again",
            Text = DrillEmails.VerifiedAgainText(source, last, since),
        },
        () => Log.VerifiedAgain(logger, source));

    async Task AlarmAsync(string kind, string source, DateTimeOffset? lastGood, DateTimeOffset now, AlarmMessages messages,
        CancellationToken cancellationToken)
    {
        DateTimeOffset? previous;
        int alarm;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO stale_alarms (source, kind, stale_since, last_success_at, alerts, updated_at)
                VALUES ({source}, {kind}, {now}, {lastGood}, 0, {now}) ON CONFLICT (source, kind) DO NOTHING
                """, cancellationToken);
            var row = await db.StaleAlarms.FromSql($"SELECT * FROM stale_alarms WHERE source = {source} AND kind = {kind} FOR UPDATE")
                .AsTracking().SingleAsync(cancellationToken);
            if (row.RecoveredAt is not null) // a new episode
                (row.StaleSince, row.LastSuccessAt, row.LastAlertedAt, row.Alerts, row.RecoveredAt) = (now, lastGood, null, 0, null);
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
            using var message = messages.Alarm(alarm);
            await mail.SendAsync(message, cancellationToken);
            messages.AlarmSent(alarm);
        }
        catch
        {
            await GiveBackAsync($"""
                UPDATE stale_alarms SET last_alerted_at = {previous}, alerts = alerts - 1
                WHERE source = {source} AND kind = {kind} AND last_alerted_at = {now} AND recovered_at IS NULL
                """);
            throw;
        }
        await webhooks.TryPostAsync(messages.AlarmAlert(alarm), cancellationToken);
    }

    async Task RecoverAsync(string kind, string source, DateTimeOffset now, AlarmMessages messages, CancellationToken cancellationToken)
    {
        StaleAlarm? row;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            row = await db.StaleAlarms.FromSql($"SELECT * FROM stale_alarms WHERE source = {source} AND kind = {kind} AND recovered_at IS NULL FOR UPDATE")
                .AsTracking().SingleOrDefaultAsync(cancellationToken);
            if (row is null) return;
            (row.RecoveredAt, row.UpdatedAt) = (now, now);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        if (row.Alerts == 0) return; // its alarm never went out: nothing to recover from

        try
        {
            using var message = messages.Recovery(row.StaleSince);
            await mail.SendAsync(message, cancellationToken);
            messages.RecoverySent();
        }
        catch
        {
            await GiveBackAsync($"UPDATE stale_alarms SET recovered_at = NULL WHERE source = {source} AND kind = {kind} AND recovered_at = {now}");
            throw;
        }
        await webhooks.TryPostAsync(messages.RecoveryAlert(row.StaleSince), cancellationToken);
    }

    /// <summary>An open episode whose question no longer applies (drills turned off for the source) ends without a message.</summary>
    async Task EndQuietlyAsync(string kind, string source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            await db.Database.ExecuteSqlAsync(
                $"UPDATE stale_alarms SET recovered_at = {now}, updated_at = {now} WHERE source = {source} AND kind = {kind} AND recovered_at IS NULL",
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StaleAlarmNotSent(logger, source, e.GetType().Name); // the other sources are still checked; again at the next check
        }
    }

    async Task GiveBackAsync(FormattableString sql)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await db.Database.ExecuteSqlAsync(sql, CancellationToken.None);
    }

    DateTimeOffset Now() => Clock.GetUtcNow().ToPostgresPrecision();
}
