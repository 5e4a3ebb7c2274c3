namespace Backup.Scheduler;

static partial class Log
{
    [LoggerMessage(4001, LogLevel.Information, "Next backup of {Source} at {Occurrence:o}")]
    public static partial void NextOccurrence(ILogger logger, string source, DateTimeOffset occurrence);

    [LoggerMessage(4002, LogLevel.Information, "Requested backup of {Source}, run {RunId}, occurrence {Occurrence:o}")]
    public static partial void Requested(ILogger logger, string source, Guid runId, DateTimeOffset occurrence);

    [LoggerMessage(4003, LogLevel.Warning, "Requested a missed backup of {Source}, run {RunId}, occurrence {Occurrence:o} (caught up at {Now:o})")]
    public static partial void CaughtUp(ILogger logger, string source, Guid runId, DateTimeOffset occurrence, DateTimeOffset now);

    [LoggerMessage(4004, LogLevel.Debug, "Occurrence {Occurrence:o} of {Source} was claimed by another scheduler")]
    public static partial void ClaimedElsewhere(ILogger logger, string source, DateTimeOffset occurrence);

    [LoggerMessage(4005, LogLevel.Error, "The schedule of {Source} in the schedules table is skipped until it is fixed: {Problems} (cron '{Cron}', time zone '{TimeZone}')")]
    public static partial void BadSchedule(ILogger logger, string source, string problems, string cron, string timeZone);

    [LoggerMessage(4006, LogLevel.Information, "The schedule of {Source} is now '{Cron}' in {TimeZone}")]
    public static partial void ScheduleLoaded(ILogger logger, string source, string cron, string timeZone);

    [LoggerMessage(4007, LogLevel.Information, "The schedule of {Source} was removed or disabled; no more backups are requested for it")]
    public static partial void ScheduleStopped(ILogger logger, string source);

    [LoggerMessage(4008, LogLevel.Warning, "Published occurrence {Occurrence:o} of {Source}, run {RunId}, that was claimed but never published (its scheduler stopped in between)")]
    public static partial void Republished(ILogger logger, string source, Guid runId, DateTimeOffset occurrence);

    [LoggerMessage(4009, LogLevel.Warning, "Occurrences of {Source} from {Occurrence:o} were missed and are older than the catch-up window; not run late")]
    public static partial void MissedOutsideWindow(ILogger logger, string source, DateTimeOffset occurrence);

    [LoggerMessage(4010, LogLevel.Warning, "The schedule of {Source} never fires again ('{Cron}' in {TimeZone})")]
    public static partial void NeverAgain(ILogger logger, string source, string cron, string timeZone);

    [LoggerMessage(4011, LogLevel.Error, "Could not read or write schedules in the catalog database; trying again")]
    public static partial void StoreFailed(ILogger logger, Exception exception);
}

static class SchedulerTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Scheduler");
}
