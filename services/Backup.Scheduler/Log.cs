namespace Backup.Scheduler;

static partial class Log
{
    [LoggerMessage(4001, LogLevel.Information, "Next backup of {Source} at {Occurrence:o}")]
    public static partial void NextOccurrence(ILogger logger, string source, DateTimeOffset occurrence);

    [LoggerMessage(4002, LogLevel.Information, "Requested backup of {Source}, run {RunId}, occurrence {Occurrence:o}")]
    public static partial void Requested(ILogger logger, string source, Guid runId, DateTimeOffset occurrence);
}
