using Backup.Api.Auth;
using Backup.Database.Scheduling;
using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Backup.Api.Endpoints;

/// <summary>GET /schedules/preview: when a schedule would run next, each time with its zone's offset.</summary>
public sealed record SchedulePreview(string Cron, string TimeZone, IReadOnlyList<DateTimeOffset> Next);

/// <summary>
/// The schedule editor's check as you type: the same rules as PUT /sources/{source}/schedule (ScheduleRules), and the
/// next occurrences as the scheduler would compute them. Stores nothing.
/// </summary>
public static class SchedulePreviewEndpoints
{
    public const int DefaultCount = 5, MaxCount = 20;

    public static RouteGroupBuilder MapSchedulePreviewEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/schedules/preview", Preview).RequireAuthorization(ApiRoles.Reader).WithName("PreviewSchedule").WithTags("Sources")
            .WithSummary("The next occurrences of a cron expression in a time zone, as the scheduler would run them; stores nothing.")
            .WithDescription("Role reader (or operator, admin). count: 1 to 20 (default 5). Each occurrence carries the time zone's offset at that instant (a daylight-saving change shows as a new offset). 400 names 'cron', 'timeZone' or 'count' in 'field', with the same message as PUT /sources/{source}/schedule. A valid expression that never occurs again gives an empty list.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static Results<Ok<SchedulePreview>, ProblemHttpResult> Preview(TimeProvider clock, string? cron = null, string? timeZone = null, int? count = null)
    {
        var (clippedCron, clippedZone) = (Text.Clip(cron ?? "", 100, Text.Ellipsis), Text.Clip(timeZone ?? "", 100, Text.Ellipsis));
        if (!ScheduleRules.TryParse(clippedCron, clippedZone, out var expression, out var zone, out var problems))
            return Problems.BadField(problems[0].Field == "Cron" ? "cron" : "timeZone", problems[0].Problem);
        if (count is < 1 or > MaxCount) return Problems.BadField("count", $"{count} is not a number of occurrences from 1 to {MaxCount}.");

        var next = new List<DateTimeOffset>();
        for (var at = expression.GetNextOccurrence(clock.GetUtcNow(), zone); at is { } occurrence && next.Count < (count ?? DefaultCount);
             at = expression.GetNextOccurrence(occurrence, zone))
            next.Add(occurrence);
        return TypedResults.Ok(new SchedulePreview(clippedCron, zone.Id, next));
    }
}
