namespace Backup.Retention;

static partial class Log
{
    [LoggerMessage(3001, LogLevel.Information,
        "Retention sweep: {Expired} run(s) expired, {Failed} store delete(s) failed (tried again next sweep), {Waiting} kept while a restore reads them, {Orphans} orphan(s) and {Leftovers} leftover(s) removed")]
    public static partial void SweepDone(ILogger logger, int expired, int failed, int waiting, int orphans, int leftovers);

    [LoggerMessage(3002, LogLevel.Error, "Retention sweep failed; the next one will try again")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(3003, LogLevel.Warning, "The store could not delete the artifact of run {RunId}; it stays pending deletion and the next sweep tries again")]
    public static partial void DeleteFailed(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(3004, LogLevel.Information, "Removed {Leftover}, left behind by an interrupted write")]
    public static partial void LeftoverRemoved(ILogger logger, string leftover);

    [LoggerMessage(3005, LogLevel.Information, "Deleted the artifact of run {RunId}; BackupExpired is in the catalog's outbox")]
    public static partial void ArtifactDeleted(ILogger logger, Guid runId);

    [LoggerMessage(3006, LogLevel.Warning, "Removed orphan {ArtifactKey}: an artifact whose run the catalog does not know")]
    public static partial void OrphanRemoved(ILogger logger, string artifactKey);

    [LoggerMessage(3007, LogLevel.Information, "Run {RunId} is due for deletion but a restore job reads {ArtifactKey}; kept until it finishes")]
    public static partial void RestoreInProgress(ILogger logger, Guid runId, string artifactKey);

    [LoggerMessage(3008, LogLevel.Information, "Another retention instance is sweeping; this sweep is skipped")]
    public static partial void SweepBusy(ILogger logger);
}
