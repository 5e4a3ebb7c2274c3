using Backup.Api.Auth;
using Backup.Database;
using Backup.Database.Scheduling;
using Backup.Database.Verification;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Backup.ServiceDefaults;

namespace Backup.Api.Endpoints;

/// <summary>
/// A source as the API shows it: its schedule, when it runs next, its last success, and whether it is stale; whether its
/// backups are drilled, its last verified backup, and whether it is unverified.
/// </summary>
public sealed record SourceView(string Source, string Cron, string TimeZone, bool Enabled, string Origin, DateTimeOffset? NextRunAt,
    DateTimeOffset? LastSuccessAt, string? LastRunState, bool Stale, string? ScheduleProblem, bool DrillsOn, SourceDrills? Drills,
    LastVerifiedBackup? LastVerified, bool Unverified);

/// <summary>What PUT /sources/{source}/schedule takes.</summary>
public sealed record ScheduleChange(string? Cron = null, string? TimeZone = null, bool? Enabled = null);

/// <summary>
/// Sources: the list with schedule, next run, last success and stale flag (from the catalog's schedules, seeded by the
/// scheduler from configuration, and its runs), and the schedule change (admin) that the scheduler picks up without
/// a restart. A change is checked with the same rules the scheduler uses before it is stored, and audited.
/// </summary>
public static class SourceEndpoints
{
    public static RouteGroupBuilder MapSourceEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/sources", ListAsync).RequireAuthorization(ApiRoles.Reader).WithName("ListSources").WithTags("Sources")
            .WithSummary("Every source with its schedule, next run, last successful backup, whether its backups are stale, and its last verified backup.")
            .WithDescription("Role reader (or operator, admin). Stale: enabled and no successful backup within the schedule's interval plus grace. Drills on: the source has a drill policy (Every, RtoTarget). Unverified: enabled, drills on, and no backup completed within the schedule's interval plus the drill interval (Every) plus grace that a drill passed. A schedule the scheduler cannot use has no nextRunAt and says why in scheduleProblem.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPut("/sources/{source}/schedule", ChangeScheduleAsync).RequireAuthorization(ApiRoles.Admin).WithName("ChangeSchedule").WithTags("Sources")
            .WithSummary("Changes a source's schedule (cron, time zone, enabled); the scheduler uses it from its next reload.")
            .WithDescription("Role admin. Fields left out (or null) keep their value. Checked with the scheduler's rules: 400 names 'cron' or 'timeZone' in 'field'. Stored with origin api; audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static async Task<Ok<List<SourceView>>> ListAsync(CatalogDbContext catalog, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await ScheduleRowsAsync(catalog, catalog.Schedules, cancellationToken)).Select(row => View(row, now)).ToList());
    }

    static async Task<Results<Ok<SourceView>, ProblemHttpResult>> ChangeScheduleAsync(string source, ScheduleChange change, HttpContext http,
        CatalogDbContext catalog, AuditTrail audit, TimeProvider clock, CancellationToken cancellationToken)
    {
        var schedule = await catalog.Schedules.SingleOrDefaultAsync(s => s.Source == source, cancellationToken);
        if (schedule is null) return Problems.NotFound($"No source named '{Text.Clip(source, 100, Text.Ellipsis)}' is configured.");
        var cron = change.Cron ?? schedule.Cron;
        var timeZone = change.TimeZone ?? schedule.TimeZone;
        if (ScheduleRules.Problems(Text.Clip(cron, 100, Text.Ellipsis), Text.Clip(timeZone, 100, Text.Ellipsis)) is [var (field, problem), ..])
            return Problems.BadField(field == "Cron" ? "cron" : "timeZone", problem);

        var before = $"{schedule.Cron} {schedule.TimeZone} {(schedule.Enabled ? "enabled" : "disabled")}";
        (schedule.Cron, schedule.TimeZone, schedule.Enabled) = (cron, timeZone, change.Enabled ?? schedule.Enabled);
        (schedule.Origin, schedule.UpdatedAt, schedule.UpdatedBy) = (ScheduleOrigins.Api, clock.GetUtcNow(), $"api:{AuditTrail.Actor(http.User)}");
        await catalog.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(http, "schedule.change", source, StatusCodes.Status200OK,
            $"{before} -> {schedule.Cron} {schedule.TimeZone} {(schedule.Enabled ? "enabled" : "disabled")}");
        var row = (await ScheduleRowsAsync(catalog, catalog.Schedules.Where(s => s.Source == source), cancellationToken)).Single();
        return TypedResults.Ok(View(row, clock.GetUtcNow()));
    }

    internal sealed record ScheduleRow(Schedule Schedule, DateTimeOffset? LastSuccess, string? LastState, DrillPolicy? Drills, VerifiedRow? LastVerified);

    internal sealed record VerifiedRow(Guid RunId, DateTimeOffset CompletedAt, DateTimeOffset VerifiedAt, double? RecoverySeconds, double? RtoTargetSeconds);

    // Each schedule with its source's last success, latest run state, drill policy and newest backup a drill passed, in
    // one query (correlated subqueries).
    internal static Task<List<ScheduleRow>> ScheduleRowsAsync(CatalogDbContext catalog, IQueryable<Schedule> schedules, CancellationToken cancellationToken) =>
        schedules.AsNoTracking().OrderBy(s => s.Source).Select(s => new ScheduleRow(
            s,
            catalog.BackupRuns.Where(r => r.Source == s.Source
                    && (BackupRunStates.WithArtifact.Contains(r.CurrentState) || r.CurrentState == BackupRunStates.Expired))
                .Max(r => r.CompletedAt),
            catalog.BackupRuns.Where(r => r.Source == s.Source)
                .OrderByDescending(r => r.RequestedAt ?? r.StartedAt ?? r.UpdatedAt).Select(r => r.CurrentState).FirstOrDefault(),
            catalog.DrillPolicies.FirstOrDefault(p => p.Source == s.Source),
            catalog.BackupVerifications
                .Where(v => v.Source == s.Source && v.State == VerificationStates.Passed && v.FinishedAt != null)
                .Join(catalog.BackupRuns.Where(r => r.CompletedAt != null), v => v.RunId, r => r.CorrelationId, (v, r) => new { v, r.CompletedAt })
                .OrderByDescending(x => x.CompletedAt).ThenByDescending(x => x.v.FinishedAt)
                .Select(x => new VerifiedRow(x.v.RunId, x.CompletedAt!.Value, x.v.FinishedAt!.Value, x.v.RecoverySeconds, x.v.RtoTargetSeconds))
                .FirstOrDefault()))
            .ToListAsync(cancellationToken);

    internal static SourceView View(ScheduleRow row, DateTimeOffset now)
    {
        var (schedule, lastSuccess, lastState, policy) = (row.Schedule, row.LastSuccess, row.LastState, row.Drills);
        var drills = policy is null ? null : new SourceDrills(policy.Every, policy.RtoTarget);
        var lastVerified = row.LastVerified is { } v
            ? new LastVerifiedBackup(v.RunId, v.CompletedAt, v.VerifiedAt, (long)Math.Max(0, (now - v.CompletedAt).TotalSeconds), v.RecoverySeconds,
                v.RtoTargetSeconds, RunVerifications.OverTarget(v.RecoverySeconds, v.RtoTargetSeconds))
            : null;
        if (!ScheduleRules.TryParse(schedule.Cron, schedule.TimeZone, out var cron, out var zone, out var problems))
            return new SourceView(schedule.Source, schedule.Cron, schedule.TimeZone, schedule.Enabled, schedule.Origin, null, lastSuccess,
                lastState, Stale: false, problems[0].Problem, policy is not null, drills, lastVerified, Unverified: false);
        var next = schedule.Enabled ? cron.GetNextOccurrence(now, zone) : null;
        var stale = schedule.Enabled && Staleness.IsStale(cron, zone, lastSuccess, schedule.UpdatedAt, now, Staleness.DefaultGrace);
        // The notifier's "no verified backup" rule (Staleness.IsUnverified: the schedule's interval plus the drill interval
        // plus the grace, from the last verified backup's completion or, with none, since drills were turned on), with
        // the API's grace (Staleness.DefaultGrace, as for stale), not the notifier's Notifier:StaleGrace.
        var unverified = schedule.Enabled && policy is not null
            && Staleness.IsUnverified(cron, zone, policy.Every, lastVerified?.CompletedAt, policy.UpdatedAt, now, Staleness.DefaultGrace);
        return new SourceView(schedule.Source, schedule.Cron, schedule.TimeZone, schedule.Enabled, schedule.Origin, next, lastSuccess,
            lastState, stale, null, policy is not null, drills, lastVerified, unverified);
    }
}
