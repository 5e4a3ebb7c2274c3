using Backup.Api.Auth;
using Backup.Database;
using Backup.Database.Scheduling;
using Backup.ServiceDefaults;
using Cronos;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Backup.Api.Endpoints;

/// <summary>GET /sources/{source}/history: a source's runs of the last days, oldest first, and one outcome per calendar day.</summary>
public sealed record SourceHistory(string Source, string TimeZone, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<HistoryRun> Runs,
    IReadOnlyList<HistoryDay> Days);

/// <summary>
/// A run in a source's history: its sizes (stored, and pg_dump's raw bytes), how long its dump took, its drill's
/// recovery time and target, its verification state (null without one) and the values flagged as outliers.
/// </summary>
public sealed record HistoryRun(Guid RunId, string State, DateTimeOffset? RequestedAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    long? SizeBytes, long? RawBytes, double? DumpSeconds, double? RecoverySeconds, double? RtoTargetSeconds, string? Verification,
    IReadOnlyList<RunOutlier> Outliers);

/// <summary>A calendar day in the source's time zone: success, failure, missed or none, and how many runs were requested that day.</summary>
public sealed record HistoryDay(DateOnly Date, string Outcome, int Runs);

/// <summary>
/// A source's history for its charts and calendar: every run requested (or started) in the window, which begins at
/// local midnight <c>days</c> − 1 days before today in the source's time zone and ends now. Two queries: the window's runs
/// with their verifications, and the up to 14 successful runs before the window that the first runs' outliers are
/// judged against (<see cref="RunOutliers"/>).
/// </summary>
public static class SourceHistoryEndpoints
{
    public const int DefaultDays = 30, MaxDays = 366;

    static readonly string[] Successful = [BackupRunStates.Completed, BackupRunStates.Delivered, BackupRunStates.Expired];

    public static RouteGroupBuilder MapSourceHistoryEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/sources/{source}/history", GetAsync).RequireAuthorization(ApiRoles.Reader).WithName("GetSourceHistory").WithTags("Sources")
            .WithSummary("A source's runs of the last days (oldest first) with sizes, durations, recovery times and outliers, and one outcome per calendar day.")
            .WithDescription("Role reader (or operator, admin). days: 1 to 366 (default 30); the window starts at local midnight in the source's time zone, days − 1 days before today, and ends now. outliers: a successful run's stored size far below (drop) or above (jump), or its dump far slower (slow) than the previous up to 14 successful runs (at least 5 needed). days[].outcome: success (a backup requested that day succeeded), failure (every run of the day failed or timed out), missed (a scheduled occurrence of the current schedule, since it was last changed, had no run requested within 2 h or before the next occurrence), none. 400 names 'days'; 404 for an unknown source.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    sealed record VerificationRow(string State, double? RecoverySeconds, double? RtoTargetSeconds);

    sealed record WindowRun(BackupRun Run, VerificationRow? Verification);

    static async Task<Results<Ok<SourceHistory>, ProblemHttpResult>> GetAsync(string source, CatalogDbContext catalog, TimeProvider clock,
        CancellationToken cancellationToken, int? days = null)
    {
        if (days is < 1 or > MaxDays) return Problems.BadField("days", $"{days} is not a number of days from 1 to {MaxDays}.");
        var schedule = await catalog.Schedules.AsNoTracking().SingleOrDefaultAsync(s => s.Source == source, cancellationToken);
        if (schedule is null) return Problems.NotFound($"No source named '{Text.Clip(source, 100, Text.Ellipsis)}' is configured.");

        var now = clock.GetUtcNow();
        var parsed = ScheduleRules.TryParse(schedule.Cron, schedule.TimeZone, out var cron, out var zone, out _);
        zone ??= TimeZoneInfo.Utc;
        var dates = HistoryCalendar.Dates(now, zone, days ?? DefaultDays);
        var from = HistoryCalendar.LocalMidnight(dates[0], zone);

        var window = await catalog.BackupRuns.AsNoTracking()
            .Where(r => r.Source == source && ((r.RequestedAt != null && r.RequestedAt >= from)
                || (r.RequestedAt == null && (r.StartedAt ?? r.UpdatedAt) >= from)))
            .Select(r => new WindowRun(r, catalog.BackupVerifications.Where(v => v.RunId == r.CorrelationId)
                .Select(v => new VerificationRow(v.State, v.RecoverySeconds, v.RtoTargetSeconds)).FirstOrDefault()))
            .ToListAsync(cancellationToken);
        var before = await catalog.BackupRuns.AsNoTracking()
            .Where(r => r.Source == source && Successful.Contains(r.CurrentState) && r.CompletedAt < from && r.SizeBytes != null)
            .OrderByDescending(r => r.CompletedAt).Take(RunOutliers.Baseline)
            .ToListAsync(cancellationToken);

        var runs = window.OrderBy(w => RequestedAt(w.Run)).ToList();
        var measured = before.AsEnumerable().Reverse()
            .Concat(runs.Select(w => w.Run).Where(r => Successful.Contains(r.CurrentState) && r.CompletedAt is not null && r.SizeBytes is not null)
                .OrderBy(r => r.CompletedAt))
            .Select(r => new MeasuredRun(r.CorrelationId, r.SizeBytes!.Value, DumpSeconds(r))).ToList();
        var outliers = RunOutliers.Flag(measured);

        var missed = parsed && schedule.Enabled
            ? HistoryCalendar.MissedDates(cron!, zone, Max(from, schedule.UpdatedAt), now, runs.Select(w => RequestedAt(w.Run)).ToList())
            : new HashSet<DateOnly>();
        var calendar = HistoryCalendar.Days(dates, runs.Select(w => (RequestedAt(w.Run), w.Run.CurrentState)), missed, zone);
        return TypedResults.Ok(new SourceHistory(schedule.Source, zone.Id, from, now,
            runs.Select(w => new HistoryRun(w.Run.CorrelationId, w.Run.CurrentState, w.Run.RequestedAt, w.Run.StartedAt, w.Run.CompletedAt,
                w.Run.SizeBytes, w.Run.RawSizeBytes, Successful.Contains(w.Run.CurrentState) ? DumpSeconds(w.Run) : null,
                w.Verification?.RecoverySeconds, w.Verification?.RtoTargetSeconds, w.Verification?.State, outliers.GetValueOrDefault(w.Run.CorrelationId) ?? [])).ToList(),
            calendar));
    }

    /// <summary>When the run was asked for (or, without a request, started; or last changed): what places it in the window and on a day.</summary>
    static DateTimeOffset RequestedAt(BackupRun run) => run.RequestedAt ?? run.StartedAt ?? run.UpdatedAt;

    static double? DumpSeconds(BackupRun run) =>
        run is { StartedAt: { } started, CompletedAt: { } completed } ? Math.Max(0, (completed - started).TotalSeconds) : null;

    static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>The history's calendar: the window's days in a time zone, each day's outcome, and the days a scheduled run was missed.</summary>
public static class HistoryCalendar
{
    public const string Success = "success", Failure = "failure", Missed = "missed", None = "none";

    static readonly string[] Successful = [BackupRunStates.Completed, BackupRunStates.Delivered, BackupRunStates.Expired];
    static readonly string[] Failed = [BackupRunStates.Failed, BackupRunStates.TimedOut];

    /// <summary>The <paramref name="days"/> calendar days that end with today in <paramref name="zone"/>, oldest first.</summary>
    public static IReadOnlyList<DateOnly> Dates(DateTimeOffset now, TimeZoneInfo zone, int days)
    {
        var today = LocalDate(now, zone);
        return [.. Enumerable.Range(0, days).Select(i => today.AddDays(i - days + 1))];
    }

    public static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>The instant a local day begins (its first valid local time: midnight, or later when a clock change skips it).</summary>
    public static DateTimeOffset LocalMidnight(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>
    /// The local dates of the occurrences from <paramref name="since"/> that had no run requested from the occurrence until
    /// 2 h later (<see cref="Staleness.DefaultGrace"/>) or the next occurrence, whichever comes first; an occurrence whose
    /// time to be met has not passed yet is not judged.
    /// </summary>
    public static HashSet<DateOnly> MissedDates(CronExpression cron, TimeZoneInfo zone, DateTimeOffset since, DateTimeOffset now,
        IReadOnlyList<DateTimeOffset> requests)
    {
        var sorted = requests.Order().ToArray();
        var missed = new HashSet<DateOnly>();
        for (var occurrence = cron.GetNextOccurrence(since, zone, inclusive: true); occurrence is { } at && at < now;)
        {
            var next = cron.GetNextOccurrence(at, zone);
            var deadline = next is { } n && n < at + Staleness.DefaultGrace ? n : at + Staleness.DefaultGrace;
            if (deadline > now) break;
            var first = Array.BinarySearch(sorted, at);
            if (first < 0) first = ~first;
            if (first == sorted.Length || sorted[first] >= deadline) missed.Add(LocalDate(at, zone));
            occurrence = next;
        }
        return missed;
    }

    /// <summary>Each date's outcome: success if a run of that day succeeded, else failure if all its runs failed, else missed, else none.</summary>
    public static IReadOnlyList<HistoryDay> Days(IReadOnlyList<DateOnly> dates, IEnumerable<(DateTimeOffset RequestedAt, string State)> runs,
        IReadOnlySet<DateOnly> missed, TimeZoneInfo zone)
    {
        var byDate = runs.GroupBy(r => LocalDate(r.RequestedAt, zone)).ToDictionary(g => g.Key, g => g.Select(r => r.State).ToList());
        return [.. dates.Select(date =>
        {
            var states = byDate.GetValueOrDefault(date) ?? [];
            var outcome = states.Any(Successful.Contains) ? Success
                : states.Count > 0 && states.All(Failed.Contains) ? Failure
                : missed.Contains(date) ? Missed
                : None;
            return new HistoryDay(date, outcome, states.Count);
        })];
    }
}
