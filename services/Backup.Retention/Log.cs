namespace Backup.Retention;

static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information, "Retention sweep expired {Count} run(s) completed before {Cutoff}")]
    public static partial void SweepDone(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(3002, LogLevel.Error, "Retention sweep failed; the next one will try again")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(3003, LogLevel.Error, "Run {RunId} has an artifact key this service did not make; left alone")]
    public static partial void UnusableKey(ILogger logger, Guid runId);

    [LoggerMessage(3004, LogLevel.Information, "Removed {Leftover}, left behind by an interrupted write")]
    public static partial void LeftoverRemoved(ILogger logger, string leftover);
}
