namespace Backup.Restorer;

static partial class Log
{
    [LoggerMessage(5001, LogLevel.Information, "Restore {RestoreId} of {ArtifactKey} into database {TargetDatabase} started")]
    public static partial void RestoreStarted(ILogger logger, Guid restoreId, string artifactKey, string targetDatabase);

    [LoggerMessage(5002, LogLevel.Information, "Restore {RestoreId} into database {TargetDatabase} completed: {Tables} tables, row counts as in the manifest, in {ElapsedMs} ms")]
    public static partial void RestoreCompleted(ILogger logger, Guid restoreId, string targetDatabase, int tables, long elapsedMs);

    [LoggerMessage(5003, LogLevel.Warning, "Restore {RestoreId} failed: {ErrorCode}")]
    public static partial void RestoreFailed(ILogger logger, Guid restoreId, string errorCode);

    [LoggerMessage(5004, LogLevel.Warning, "Restore {RestoreId} refused: the request names no artifact key or target database this service accepts")]
    public static partial void RestoreRefused(ILogger logger, Guid restoreId);

    [LoggerMessage(5005, LogLevel.Information, "Restore {RestoreId}: size and SHA-256 of {StoredBytes} stored bytes as in the manifest")]
    public static partial void StoredBytesVerified(ILogger logger, Guid restoreId, long storedBytes);

    [LoggerMessage(5006, LogLevel.Information, "Restore {RestoreId}: read a pg_dump archive of {ArchiveBytes} bytes to its end, as in the manifest")]
    public static partial void ArchiveDecoded(ILogger logger, Guid restoreId, long archiveBytes);

    [LoggerMessage(5007, LogLevel.Information, "Restore {RestoreId}: {Action} database {TargetDatabase}")]
    public static partial void DatabaseCreated(ILogger logger, Guid restoreId, string action, string targetDatabase);

    [LoggerMessage(5009, LogLevel.Information, "Restore {RestoreId} of {ArtifactKey} into database {TargetDatabase} accepted; queued as a restore job")]
    public static partial void RestoreQueued(ILogger logger, Guid restoreId, string artifactKey, string targetDatabase);

    [LoggerMessage(5010, LogLevel.Information, "Restore request {RestoreId} arrived again; its restore job already exists")]
    public static partial void DuplicateRestoreRequest(ILogger logger, Guid restoreId);

    [LoggerMessage(5008, LogLevel.Information, "Restore {RestoreId}: running pg_restore with {Jobs} jobs")]
    public static partial void PgRestoreStarted(ILogger logger, Guid restoreId, int jobs);

    [LoggerMessage(5011, LogLevel.Information, "Restore {RestoreId}: schema in; loading table data in {Sessions} sessions while the archive decodes")]
    public static partial void LoadingStarted(ILogger logger, Guid restoreId, int sessions);

    [LoggerMessage(5012, LogLevel.Warning, "Restore {RestoreId} into database {TargetDatabase} failed or was stopped after the database was created: {Outcome}")]
    public static partial void FailedAfterDatabaseCreated(ILogger logger, Guid restoreId, string targetDatabase, string outcome);

    // Debug only: pg_restore's full standard error may quote rows (DETAIL, CONTEXT); the RestoreFailed reason does not.
    [LoggerMessage(5013, LogLevel.Debug, "Restore {RestoreId}: pg_restore said in full: {ToolOutput}")]
    public static partial void FailedToolOutput(ILogger logger, Guid restoreId, string toolOutput);
}

static partial class Log
{
    [LoggerMessage(5101, LogLevel.Information, "Drill of run {RunId} ({ArtifactKey}) queued")]
    public static partial void DrillQueued(ILogger logger, Guid runId, string artifactKey);

    [LoggerMessage(5102, LogLevel.Information, "Drill of run {RunId} skipped: its source was drilled within its interval (run {DrilledRun})")]
    public static partial void DrillSkipped(ILogger logger, Guid runId, Guid drilledRun);

    [LoggerMessage(5103, LogLevel.Warning, "BackupCompleted of run {RunId} names no source or artifact key the dumper makes; not drilled")]
    public static partial void DrillRefused(ILogger logger, Guid runId);

    [LoggerMessage(5104, LogLevel.Information, "Drill of run {RunId} ({ArtifactKey}) started")]
    public static partial void DrillStarted(ILogger logger, Guid runId, string artifactKey);

    [LoggerMessage(5105, LogLevel.Information, "Drill of run {RunId} passed: {Tables} tables exact, recovery time {RecoverySeconds:0.0} s (target {TargetSeconds:0} s)")]
    public static partial void DrillPassed(ILogger logger, Guid runId, int tables, double recoverySeconds, double targetSeconds);

    [LoggerMessage(5107, LogLevel.Warning, "Drill of run {RunId}: the drill server could not be reached; trying again in {Delay}")]
    public static partial void DrillRetrying(ILogger logger, Guid runId, TimeSpan delay);

    [LoggerMessage(5106, LogLevel.Warning, "Drill of run {RunId} failed: {ErrorCode}")]
    public static partial void DrillFailed(ILogger logger, Guid runId, string errorCode);
}

static class RestorerTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Restorer");
}
