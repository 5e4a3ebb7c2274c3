using Backup.ServiceDefaults;

namespace Backup.Dumper;

static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Dump of source {Source} started for run {RunId}")]
    public static partial void DumpStarted(ILogger logger, Guid runId, string source);

    [LoggerMessage(1002, LogLevel.Information, "Dump of source {Source} completed for run {RunId}: {Bytes} bytes in {ElapsedMs} ms")]
    public static partial void DumpCompleted(ILogger logger, Guid runId, string source, long bytes, long elapsedMs);

    [LoggerMessage(1003, LogLevel.Warning, "Dump of source {Source} failed for run {RunId}: {ErrorCode}")]
    public static partial void DumpFailed(ILogger logger, Guid runId, string source, string errorCode);

    [LoggerMessage(1004, LogLevel.Warning, "Run {RunId} asked for a source that is not configured")]
    public static partial void UnknownSource(ILogger logger, Guid runId);

    [LoggerMessage(1005, LogLevel.Warning, "Dump of source {Source} for run {RunId} failed transiently (attempt {Attempt}); it will be tried again")]
    public static partial void DumpWillRetry(ILogger logger, Guid runId, string source, int attempt);

    [LoggerMessage(1006, LogLevel.Information, "Backup of source {Source} for run {RunId} accepted; queued as a dump job")]
    public static partial void DumpQueued(ILogger logger, Guid runId, string source);

    [LoggerMessage(1007, LogLevel.Information, "Backup request for run {RunId} arrived again; its dump job already exists")]
    public static partial void DuplicateRequest(ILogger logger, Guid runId);

    [LoggerMessage(1008, LogLevel.Information, "Backup request for run {RunId} arrived again after the run ended ({State}); nothing to dump")]
    public static partial void ReplayOfEndedRun(ILogger logger, Guid runId, string state);

    [LoggerMessage(1009, LogLevel.Warning, "Dump of source {Source} for run {RunId} used up its attempts, but its whole backup {ArtifactKey} is stored: reporting it as completed")]
    public static partial void GaveUpButStored(ILogger logger, Guid runId, string source, string artifactKey);

    [LoggerMessage(1010, LogLevel.Warning, "Could not read the stored backup {ArtifactKey} of run {RunId} while deciding its dump's outcome; it is not taken for a backup")]
    public static partial void StoreUnreadableAtGiveUp(ILogger logger, Guid runId, string artifactKey, Exception exception);

    [LoggerMessage(1011, LogLevel.Warning, "Dump of source {Source} for run {RunId}: its whole backup {ArtifactKey} is already stored by an earlier attempt or another writer; reporting it, not dumping again")]
    public static partial void AlreadyStored(ILogger logger, Guid runId, string source, string artifactKey);

    [LoggerMessage(1012, LogLevel.Warning, "Removed {ArtifactKey} of run {RunId}: an earlier attempt committed it but it is not a whole backup (no manifest, or one that doesn't match)")]
    public static partial void RemovedUnfinished(ILogger logger, Guid runId, string artifactKey);
}

static class DumperTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Dumper");

    /// <summary>The <c>backup.dump</c> span's outcome: <c>completed</c>, or <c>failed</c> with the error code, status Error and the reason as an exception event.</summary>
    public static void RecordDumpOutcome(this System.Diagnostics.Activity? span, Dumping.DumpResult result)
    {
        span?.SetTag("backup.outcome", result.Succeeded ? "completed" : "failed");
        if (result.Succeeded) return;
        span?.SetTag("backup.error_code", result.ErrorCode);
        span.RecordFailure(result.ErrorCode, result.Reason);
    }
}
