using Microsoft.Extensions.Logging;

namespace Backup.Storage.S3;

static partial class S3Log
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning,
        Message = "Could not abort the unfinished upload of {ObjectKey} ({ErrorType}); nothing is visible under the key, and the leftover cleanup aborts it later")]
    public static partial void AbortFailed(ILogger logger, string objectKey, string errorType);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Warning,
        Message = "Could not delete {ObjectKey} ({ErrorType}) after it failed its read-back check; the dumper's next attempt deletes what is left")]
    public static partial void UncheckedObjectLeft(ILogger logger, string objectKey, string errorType);
}
