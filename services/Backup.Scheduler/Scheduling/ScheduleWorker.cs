using Backup.Database.Scheduling;
using Backup.Contracts;
using Backup.Scheduler.Options;
using Backup.ServiceDefaults;
using Cronos;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Scheduler.Scheduling;

/// <summary>
/// Publishes a BackupRequested for each source at each occurrence of its schedule, read in the source's time zone
/// (daylight-saving days: see <see cref="ScheduleCalendar"/>), once across all scheduler instances:
/// <list type="number">
/// <item>At start it writes the configured schedules into the catalog's <c>schedules</c> table (see
/// <see cref="IScheduleStore.SeedAsync"/>); from then on it runs what the table says, reading it again every
/// Scheduler:ReloadInterval. A row whose cron or time zone is bad is skipped and logged, naming the source and the
/// problem; the other sources keep running.</item>
/// <item>At an occurrence it inserts (source, occurrence) into <c>schedule_occurrences</c>; only the instance whose
/// insert went in publishes, with the run id derived from source and occurrence, then records published_at.</item>
/// <item>An occurrence claimed but not published for Scheduler:RepublishAfter (its instance died in between) is
/// published by whichever instance looks first, at start and at every reload: same run id, so harmless if repeated.</item>
/// <item>A source seen for the first time after start whose last claimed occurrence is older than its latest due one
/// missed occurrences while no scheduler ran: the latest due one inside Scheduler:CatchUpWindow fires once, at once,
/// marked caught_up. A source with no occurrence yet starts from now. A running scheduler held up past several
/// occurrences (database or broker down) likewise fires only the latest of them when it can.</item>
/// </list>
/// </summary>
public sealed class ScheduleWorker(
    IScheduleStore store,
    IOptions<SourceSchedulesOptions> configured,
    IOptions<SchedulerOptions> options,
    IBus bus,
    TimeProvider clock,
    ILogger<ScheduleWorker> logger) : BackgroundService
{
    public const string RequestedBy = "scheduler";

    static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);
    static readonly TimeSpan LateTolerance = TimeSpan.FromMinutes(1);

    readonly SchedulerOptions settings = options.Value;
    readonly Dictionary<string, Plan> plans = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> reportedBad = new(StringComparer.Ordinal);
    readonly List<(Plan Plan, DateTimeOffset Next)> planned = [];

    /// <summary>This instance's name on its claims (<see cref="ClaimHolder"/>).</summary>
    public string Holder { get; } = ClaimHolder.New();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        var seeded = false;
        var nextReload = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = clock.GetUtcNow() + RetryDelay;
            try
            {
                if (!seeded)
                {
                    await store.SeedAsync(configured.Value.ToDictionary(s => s.Key, s => (s.Value.Schedule, s.Value.TimeZone)),
                        clock.GetUtcNow(), stoppingToken);
                    seeded = true;
                }
                if (clock.GetUtcNow() >= nextReload)
                {
                    await ReloadAsync(stoppingToken);
                    await PublishAbandonedAsync(stoppingToken);
                    nextReload = clock.GetUtcNow() + settings.ReloadInterval;
                }
                foreach (var plan in plans.Values.Where(plan => plan.Next <= clock.GetUtcNow()).ToList())
                    await FireAsync(plan, stoppingToken);
                wake = plans.Values.Select(plan => plan.Next).Append(nextReload).Min();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Log.StoreFailed(logger, e); // the catalog database is away: try again shortly, plans kept
            }
            // The timer is armed before "next backup at" is logged: whoever reads that log may move the clock at once.
            var delay = DelayUntil(wake, stoppingToken);
            foreach (var (plan, next) in planned) Announce(plan, next);
            planned.Clear();
            await delay;
        }
    }

    async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var keep = new HashSet<string>(StringComparer.Ordinal);
        var bad = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in await store.ReadSchedulesAsync(cancellationToken))
        {
            if (!row.Enabled) continue;
            plans.TryGetValue(row.Source, out var current);
            if (current is not null && current.CronText == row.Cron && current.TimeZoneText == row.TimeZone)
            {
                keep.Add(row.Source);
                continue;
            }
            if (!ScheduleRules.TryParse(row.Cron, row.TimeZone, out var cron, out var zone, out var problems))
            {
                bad.Add(row.Source);
                var values = $"{row.Cron}\n{row.TimeZone}";
                if (reportedBad.GetValueOrDefault(row.Source) != values)
                    Log.BadSchedule(logger, row.Source, string.Join(" ", problems.Select(p => p.Problem)), row.Cron, row.TimeZone);
                reportedBad[row.Source] = values;
                continue;
            }
            reportedBad.Remove(row.Source);
            keep.Add(row.Source);
            var plan = new Plan(row.Source, row.Cron, row.TimeZone, cron, zone);
            if (current is null)
            {
                // First seen since start: catch up what was missed while no scheduler ran, within the window.
                var last = await store.LatestOccurrenceAsync(row.Source, cancellationToken);
                plan.Next = ScheduleCalendar.FirstToPlan(cron, zone, last, now, settings.CatchUpWindow) ?? DateTimeOffset.MaxValue;
                // Due more than a moment ago: missed while no scheduler ran (not merely one starting as another fires it).
                plan.Missed = plan.Next < now - LateTolerance;
            }
            else
            {
                plan.Next = ScheduleCalendar.Next(cron, zone, now) ?? DateTimeOffset.MaxValue; // changed: from now on
            }
            plans[row.Source] = plan;
            Log.ScheduleLoaded(logger, row.Source, row.Cron, row.TimeZone);
            planned.Add((plan, plan.Next));
        }
        foreach (var source in plans.Keys.Where(source => !keep.Contains(source)).ToList())
        {
            plans.Remove(source);
            if (!bad.Contains(source)) Log.ScheduleStopped(logger, source);
        }
    }

    async Task FireAsync(Plan plan, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Held up past several occurrences (down, or the database or broker was): only the latest of them fires.
        var due = ScheduleCalendar.Latest(plan.Cron, plan.Zone, plan.Next, now) ?? plan.Next;
        // Caught up: fired late. The latest of several occurrences is on time when it is due just now (an instance
        // that woke late for the one before, while another instance fired that one).
        var late = plan.Missed || due != plan.Next && now - due > LateTolerance;
        var occurrence = new ClaimedOccurrence(plan.Source, due, ScheduledRunIds.For(plan.Source, due), late);
        if (await store.ClaimAsync(occurrence, now, Holder, cancellationToken))
        {
            await PublishAsync(occurrence, cancellationToken);
            if (occurrence.CaughtUp) Log.CaughtUp(logger, plan.Source, occurrence.RunId, due, now);
            else Log.Requested(logger, plan.Source, occurrence.RunId, due);
        }
        else
        {
            Log.ClaimedElsewhere(logger, plan.Source, due);
        }
        plan.Next = ScheduleCalendar.Next(plan.Cron, plan.Zone, due) ?? DateTimeOffset.MaxValue;
        plan.Missed = false;
        planned.Add((plan, plan.Next));
    }

    async Task PublishAbandonedAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var occurrence in await store.TakeOverUnpublishedAsync(now - settings.RepublishAfter, now, Holder, cancellationToken))
        {
            await PublishAsync(occurrence, cancellationToken);
            Log.Republished(logger, occurrence.Source, occurrence.RunId, occurrence.Occurrence);
        }
    }

    async Task PublishAsync(ClaimedOccurrence occurrence, CancellationToken cancellationToken)
    {
        var request = new BackupRequested
        {
            RunId = occurrence.RunId,
            Source = occurrence.Source,
            RequestedAt = occurrence.Occurrence,
            RequestedBy = RequestedBy,
        };
        // The root of the run's trace: the dump, the catalog, the emails and the drill of this run continue it.
        using var span = SchedulerTelemetry.Source.StartActivity("backup.schedule");
        span?.SetTag("backup.run_id", occurrence.RunId);
        span?.SetTag("backup.source", occurrence.Source);
        span?.SetTag("backup.occurrence", occurrence.Occurrence.ToString("O"));
        // Neither a broker outage nor a missing queue may lose the occurrence: it is published mandatory and tried
        // until a queue has it. The run id is derived from the occurrence, so a publish that went through before an
        // error was reported is harmless to repeat.
        await bus.PublishToAQueueUntilSentAsync(request, clock, logger, cancellationToken);
        await store.MarkPublishedAsync(occurrence.Source, occurrence.Occurrence, clock.GetUtcNow(), cancellationToken);
    }

    void Announce(Plan plan, DateTimeOffset next)
    {
        if (next == DateTimeOffset.MaxValue) Log.NeverAgain(logger, plan.Source, plan.CronText, plan.TimeZoneText);
        else Log.NextOccurrence(logger, plan.Source, next);
    }

    // Long delays are cut into slices so a clock that jumps (suspend, NTP) is noticed within the hour.
    async Task DelayUntil(DateTimeOffset when, CancellationToken stoppingToken)
    {
        for (var left = when - clock.GetUtcNow(); left > TimeSpan.Zero; left = when - clock.GetUtcNow())
            await Task.Delay(left < LongestWait ? left : LongestWait, clock, stoppingToken);
    }

    /// <summary>A source's valid schedule and its next occurrence; Missed when that one was due before it was planned.</summary>
    sealed class Plan(string source, string cronText, string timeZoneText, CronExpression cron, TimeZoneInfo zone)
    {
        public string Source { get; } = source;
        public string CronText { get; } = cronText;
        public string TimeZoneText { get; } = timeZoneText;
        public CronExpression Cron { get; } = cron;
        public TimeZoneInfo Zone { get; } = zone;
        public DateTimeOffset Next { get; set; }
        public bool Missed { get; set; }
    }
}
