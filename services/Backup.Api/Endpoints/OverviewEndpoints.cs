using Backup.Api.Auth;
using Backup.Database;
using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Backup.Api.Endpoints;

/// <summary>GET /overview: every source's state with the reason, and the platform's totals.</summary>
public sealed record Overview(DateTimeOffset GeneratedAt, OverviewSummary Summary, IReadOnlyList<SourceOverview> Sources);

/// <summary>How many sources are in each state; backups and failures of the last 24 h; the bytes the stored artifacts take.</summary>
public sealed record OverviewSummary(int Sources, int Healthy, int Failing, int Stale, int Unverified, int Disabled, int BackupsLast24h,
    int FailuresLast24h, long StoredBytes);

/// <summary>
/// One source on the overview. State: disabled, failing, stale, unverified or healthy (see <see cref="OverviewStates"/>);
/// Reason: one sentence saying why, and the first thing to check when not healthy.
/// </summary>
public sealed record SourceOverview(string Source, string State, string Reason, string Cron, string TimeZone, bool Enabled,
    DateTimeOffset? NextRunAt, LastBackup? LastBackup, LastRun? LastRun, LastVerifiedBackup? LastVerified, Guid? RunningRunId);

/// <summary>
/// A source's newest successful backup: stored size, pg_dump's raw size, and SizeChange, (this − previous) / previous
/// successful backup's stored size (null without a previous one).
/// </summary>
public sealed record LastBackup(Guid RunId, DateTimeOffset CompletedAt, long AgeSeconds, long? SizeBytes, long? RawBytes, double? SizeChange);

/// <summary>A source's newest finished run (Completed, Delivered, Expired, Failed or TimedOut) and when it finished.</summary>
public sealed record LastRun(Guid RunId, string State, DateTimeOffset At, string? FailureCode, string? FailureReason);

/// <summary>The overview's source states, in the order the overview lists them (problems first).</summary>
public static class OverviewStates
{
    public const string Failing = "failing", Stale = "stale", Unverified = "unverified", Healthy = "healthy", Disabled = "disabled";

    static readonly string[] Order = [Failing, Stale, Unverified, Healthy, Disabled];

    /// <summary>Where a state comes in the overview's order: failing first, disabled last.</summary>
    public static int Rank(string state) => Array.IndexOf(Order, state);
}

/// <summary>
/// The dashboard's first page in one call: each source's state (disabled, then failing: its newest finished run Failed
/// or TimedOut; then stale and unverified by GET /sources' rules; else healthy), why, and the totals. Two queries for all
/// sources: GET /sources' schedule rows, and each source's newest runs and 24 h counts (correlated subqueries).
/// </summary>
public static class OverviewEndpoints
{
    static readonly string[] Successful = [BackupRunStates.Completed, BackupRunStates.Delivered, BackupRunStates.Expired];
    static readonly string[] Finished = [.. Successful, BackupRunStates.Failed, BackupRunStates.TimedOut];

    public static RouteGroupBuilder MapOverviewEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/overview", GetAsync).RequireAuthorization(ApiRoles.Reader).WithName("GetOverview").WithTags("Overview")
            .WithSummary("Every source's state (failing, stale, unverified, healthy, disabled) with the reason, its last backup, run and verified backup, and the totals.")
            .WithDescription("Role reader (or operator, admin). State precedence: disabled; failing (the newest finished run is Failed or TimedOut); stale (GET /sources' rule; also a schedule the scheduler cannot use); unverified (GET /sources' rule); healthy. Sources are ordered failing, stale, unverified, healthy, disabled, then by name. sizeChange: (this − previous successful backup's stored size) / previous; storedBytes: the stored size of every artifact still in the store (runs Completed or Delivered).")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    sealed record GoodRun(Guid RunId, DateTimeOffset CompletedAt, long? SizeBytes, long? RawSizeBytes);

    sealed record SourceRuns(string Source, List<GoodRun> NewestGood, LastRun? LastFinished, Guid? Running, long StoredBytes,
        int BackupsLast24h, int FailuresLast24h);

    static async Task<Ok<Overview>> GetAsync(CatalogDbContext catalog, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var rows = await SourceEndpoints.ScheduleRowsAsync(catalog, catalog.Schedules, cancellationToken);
        var runs = (await RunsAsync(catalog, now.AddHours(-24), cancellationToken)).ToDictionary(r => r.Source, StringComparer.Ordinal);
        var sources = rows.Select(row => Source(SourceEndpoints.View(row, now), row,
                runs.GetValueOrDefault(row.Schedule.Source) ?? new SourceRuns(row.Schedule.Source, [], null, null, 0, 0, 0), now))
            .OrderBy(s => OverviewStates.Rank(s.State)).ThenBy(s => s.Source, StringComparer.Ordinal).ToList();
        int Count(string state) => sources.Count(s => s.State == state);
        var summary = new OverviewSummary(sources.Count, Count(OverviewStates.Healthy), Count(OverviewStates.Failing), Count(OverviewStates.Stale),
            Count(OverviewStates.Unverified), Count(OverviewStates.Disabled), runs.Values.Sum(r => r.BackupsLast24h),
            runs.Values.Sum(r => r.FailuresLast24h), runs.Values.Sum(r => r.StoredBytes));
        return TypedResults.Ok(new Overview(now, summary, sources));
    }

    static Task<List<SourceRuns>> RunsAsync(CatalogDbContext catalog, DateTimeOffset since, CancellationToken cancellationToken) =>
        catalog.Schedules.AsNoTracking().Select(s => new SourceRuns(
            s.Source,
            catalog.BackupRuns.Where(r => r.Source == s.Source && Successful.Contains(r.CurrentState) && r.CompletedAt != null)
                .OrderByDescending(r => r.CompletedAt).Take(2)
                .Select(r => new GoodRun(r.CorrelationId, r.CompletedAt!.Value, r.SizeBytes, r.RawSizeBytes)).ToList(),
            catalog.BackupRuns.Where(r => r.Source == s.Source && Finished.Contains(r.CurrentState))
                .OrderByDescending(r => r.RequestedAt ?? r.StartedAt ?? r.UpdatedAt)
                .Select(r => new LastRun(r.CorrelationId, r.CurrentState, r.CompletedAt ?? r.FailedAt ?? r.TimedOutAt ?? r.UpdatedAt,
                    r.FailureCode, r.FailureReason))
                .FirstOrDefault(),
            catalog.BackupRuns.Where(r => r.Source == s.Source
                    && (r.CurrentState == BackupRunStates.Requested || r.CurrentState == BackupRunStates.Running))
                .OrderByDescending(r => r.RequestedAt ?? r.StartedAt ?? r.UpdatedAt).Select(r => (Guid?)r.CorrelationId).FirstOrDefault(),
            catalog.BackupRuns.Where(r => r.Source == s.Source && BackupRunStates.WithArtifact.Contains(r.CurrentState)).Sum(r => r.SizeBytes ?? 0),
            catalog.BackupRuns.Count(r => r.Source == s.Source && Successful.Contains(r.CurrentState) && r.CompletedAt >= since),
            catalog.BackupRuns.Count(r => r.Source == s.Source && ((r.CurrentState == BackupRunStates.Failed && r.FailedAt >= since)
                || (r.CurrentState == BackupRunStates.TimedOut && r.TimedOutAt >= since)))))
            .ToListAsync(cancellationToken);

    static SourceOverview Source(SourceView view, SourceEndpoints.ScheduleRow row, SourceRuns runs, DateTimeOffset now)
    {
        var lastBackup = runs.NewestGood is [var newest, ..]
            ? new LastBackup(newest.RunId, newest.CompletedAt, (long)Math.Max(0, (now - newest.CompletedAt).TotalSeconds), newest.SizeBytes,
                newest.RawSizeBytes, runs.NewestGood is [_, { SizeBytes: > 0 and var previous }] && newest.SizeBytes is { } size
                    ? (size - (double)previous) / previous : null)
            : null;
        var (state, reason) = Judge(view, row, runs.LastFinished, now);
        return new SourceOverview(view.Source, state, reason, view.Cron, view.TimeZone, view.Enabled, view.NextRunAt, lastBackup,
            runs.LastFinished, view.LastVerified, runs.Running);
    }

    static (string State, string Reason) Judge(SourceView view, SourceEndpoints.ScheduleRow row, LastRun? lastRun, DateTimeOffset now)
    {
        if (!view.Enabled)
            return (OverviewStates.Disabled, "Its schedule is disabled, so no backup runs; an admin can enable it on the source's page.");
        if (lastRun is { State: BackupRunStates.Failed })
            return (OverviewStates.Failing, $"Its newest run failed at {Human.Utc(lastRun.At)} ({lastRun.FailureCode}); check the run's failure " +
                $"reason first: {Text.Clip(lastRun.FailureReason ?? "none given", 300, Text.Ellipsis)}");
        if (lastRun is { State: BackupRunStates.TimedOut })
            return (OverviewStates.Failing, $"Its newest run timed out at {Human.Utc(lastRun.At)} with no dumper finishing it; check that a " +
                "dumper is running and reaches the broker, the source database and the store.");
        if (view.ScheduleProblem is { } problem)
            return (OverviewStates.Stale, $"The scheduler cannot use its schedule, so no backup runs; fix it: {problem}");
        if (view.Stale)
            return (OverviewStates.Stale, (view.LastSuccessAt is { } last
                ? $"Its last successful backup completed {Human.Age(now - last)} ago"
                : $"It has had no successful backup since it was scheduled {Human.Age(now - row.Schedule.UpdatedAt)} ago") +
                ", longer than its schedule's interval plus 2 h; check that the scheduler and a dumper are running.");
        if (view.Unverified)
            return (OverviewStates.Unverified, (view.LastVerified is { } verified
                ? $"Its newest backup a restore drill proved restorable completed {Human.Age(now - verified.CompletedAt)} ago"
                : "No restore drill has proved any of its backups restorable yet") +
                ", longer than its schedule's interval plus the drill interval plus 2 h; check that the drill service (restorer) runs and read the last drills' failures.");
        var verifiedText = view.LastVerified is { } v
            ? $"; a restore drill verified a backup {Human.Age(now - v.VerifiedAt)} ago."
            : view.DrillsOn ? "." : "; restore drills are off for it.";
        return (OverviewStates.Healthy, view.LastSuccessAt is { } success
            ? $"Its last backup completed {Human.Age(now - success)} ago{verifiedText}"
            : $"It is scheduled and not yet due{verifiedText}");
    }
}
