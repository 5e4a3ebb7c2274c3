using Cronos;

namespace Backup.Scheduler.Scheduling;

/// <summary>
/// Which occurrences of a cron expression fire, read in the source's time zone. The daylight-saving policy is
/// Cronos' own, and the scheduler relies on it so that a daily local time fires exactly once every day:
/// <list type="bullet">
/// <item>a local time skipped at spring-forward (02:30 when clocks jump from 02:00 to 03:00) fires once, at the first
/// valid instant after the gap (03:00 in the new offset);</item>
/// <item>a local time that happens twice at fall-back (02:30 when clocks go back from 03:00 to 02:00) fires once, at
/// the first of the two (in the summer offset). A scheduler that starts during the repeated hour does not fire it
/// again. Expressions that step through every hour or minute (<c>*/15 * * * *</c>) keep firing through the repeated
/// hour: those are distinct occurrences.</item>
/// </list>
/// Occurrences are instants; the scheduler stores and derives run ids from them in UTC.
/// </summary>
public static class ScheduleCalendar
{
    /// <summary>The first occurrence strictly after <paramref name="after"/>; null when the expression never fires again.</summary>
    public static DateTimeOffset? Next(CronExpression cron, TimeZoneInfo zone, DateTimeOffset after) =>
        cron.GetNextOccurrence(after, zone);

    /// <summary>The latest occurrence in [<paramref name="from"/>, <paramref name="to"/>], or null.</summary>
    public static DateTimeOffset? Latest(CronExpression cron, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to) =>
        from > to ? null
            : cron.GetOccurrences(from, to, zone, fromInclusive: true, toInclusive: true)
                .Select(occurrence => (DateTimeOffset?)occurrence).LastOrDefault();

    /// <summary>
    /// The occurrence to plan for a source the scheduler has just started running. Without any earlier occurrence of
    /// the source (<paramref name="lastOccurrence"/> null) it is the next one after now: nothing is caught up. With one,
    /// it is the first after it that is inside the catch-up window; when that is already due, the scheduler fires the
    /// latest due one at once, as a catch-up (see <see cref="Latest"/>).
    /// </summary>
    public static DateTimeOffset? FirstToPlan(CronExpression cron, TimeZoneInfo zone, DateTimeOffset? lastOccurrence,
        DateTimeOffset now, TimeSpan catchUpWindow)
    {
        if (lastOccurrence is null) return Next(cron, zone, now);
        var windowStart = now - catchUpWindow;
        return lastOccurrence.Value >= windowStart
            ? Next(cron, zone, lastOccurrence.Value)
            : Latest(cron, zone, windowStart, now) ?? Next(cron, zone, now);
    }
}
