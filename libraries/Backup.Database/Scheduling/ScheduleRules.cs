using System.Diagnostics.CodeAnalysis;
using Cronos;

namespace Backup.Database.Scheduling;

/// <summary>
/// What makes a schedule valid, in one place for everything that writes or reads one: the scheduler's configuration
/// (Sources:&lt;name&gt;:Schedule and TimeZone, checked at start), the scheduler reading the <c>schedules</c> table
/// (a bad row is skipped and logged), and the HTTP API (to refuse a bad change before storing it).
/// </summary>
public static class ScheduleRules
{
    /// <summary>Every schedule a source has when nothing is configured: daily at 02:00.</summary>
    public const string DefaultCron = "0 2 * * *";

    /// <summary>The time zone a schedule is read in when none is configured.</summary>
    public const string DefaultTimeZone = "Etc/UTC";

    /// <summary>
    /// The problems with a schedule, each as (field, message): field is "Cron" or "TimeZone". Empty when both parse:
    /// a five-field cron expression (minute hour day-of-month month day-of-week, Cronos' standard format) and a
    /// time zone this machine knows (IANA names, for example "Europe/Berlin").
    /// </summary>
    public static IReadOnlyList<(string Field, string Problem)> Problems(string? cron, string? timeZone)
    {
        var problems = new List<(string, string)>();
        if (!TryParseCron(cron, out _))
            problems.Add(("Cron", $"'{cron}' is not a five-field cron expression (minute hour day-of-month month day-of-week), for example '{DefaultCron}'."));
        if (!TryFindZone(timeZone, out _))
            problems.Add(("TimeZone", $"'{timeZone}' is not a known IANA time zone, for example 'Europe/Berlin' or '{DefaultTimeZone}'."));
        return problems;
    }

    /// <summary>Parses both, or gives the problems (as <see cref="Problems"/> words them).</summary>
    public static bool TryParse(string? cron, string? timeZone, [NotNullWhen(true)] out CronExpression? expression,
        [NotNullWhen(true)] out TimeZoneInfo? zone, out IReadOnlyList<(string Field, string Problem)> problems)
    {
        var parsed = TryParseCron(cron, out expression);
        var found = TryFindZone(timeZone, out zone);
        problems = parsed && found ? [] : Problems(cron, timeZone);
        return parsed && found && expression is not null && zone is not null;
    }

    static bool TryParseCron(string? cron, [NotNullWhen(true)] out CronExpression? expression)
    {
        expression = null;
        return cron is not null && CronExpression.TryParse(cron, CronFormat.Standard, out expression);
    }

    static bool TryFindZone(string? timeZone, [NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        zone = null;
        return !string.IsNullOrWhiteSpace(timeZone) && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone);
    }
}
