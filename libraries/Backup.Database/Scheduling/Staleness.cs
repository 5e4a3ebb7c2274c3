using Cronos;

namespace Backup.Database.Scheduling;

/// <summary>
/// When a source's backups are stale: no successful backup for longer than its schedule's interval plus a grace
/// (a daily schedule with the default 2 h grace: 26 h). The interval is the gap between the two occurrences around
/// now, so a schedule that runs more often at some hours is judged by the gap that applies now.
/// </summary>
public static class Staleness
{
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(2);

    /// <summary>How long a source may go without a successful backup before it is stale.</summary>
    public static TimeSpan Allowance(CronExpression cron, TimeZoneInfo zone, DateTimeOffset now, TimeSpan grace)
    {
        var next = cron.GetNextOccurrence(now, zone);
        var following = next is { } at ? cron.GetNextOccurrence(at, zone) : null;
        var interval = next is { } n && following is { } f ? f - n : TimeSpan.FromDays(1);
        return interval + grace;
    }

    /// <summary>
    /// With restore drills on, how old a source's newest verified backup may be: the schedule's interval plus the drill
    /// policy's Every plus the grace (a daily source drilled after every backup, with the default grace: 26 h). Drilled at
    /// most once per Every, the next backup drilled is the first one after Every has passed: up to an interval later.
    /// </summary>
    public static TimeSpan VerifiedAllowance(CronExpression cron, TimeZoneInfo zone, TimeSpan drillEvery, DateTimeOffset now, TimeSpan grace) =>
        Allowance(cron, zone, now, grace) + drillEvery;

    /// <summary>
    /// True when the newest verified backup's completion (or, with none, the time drills were turned on for the source:
    /// its drill policy's updated_at) is older than <see cref="VerifiedAllowance"/>. GET /api/v1/sources judges the same.
    /// </summary>
    public static bool IsUnverified(CronExpression cron, TimeZoneInfo zone, TimeSpan drillEvery, DateTimeOffset? lastVerifiedBackup,
        DateTimeOffset drillsSince, DateTimeOffset now, TimeSpan grace) =>
        now - (lastVerifiedBackup ?? drillsSince) > VerifiedAllowance(cron, zone, drillEvery, now, grace);

    /// <summary>True when the last success (or, with none, the time the source was first scheduled) is older than the allowance.</summary>
    public static bool IsStale(CronExpression cron, TimeZoneInfo zone, DateTimeOffset? lastSuccess, DateTimeOffset since,
        DateTimeOffset now, TimeSpan grace) =>
        now - (lastSuccess ?? since) > Allowance(cron, zone, now, grace);
}
