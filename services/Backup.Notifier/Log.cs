namespace Backup.Notifier;

static partial class Log
{
    [LoggerMessage(2001, LogLevel.Information, "Backup email for run {RunId} handed over to {RecipientCount} administrator(s) via {Channel}")]
    public static partial void Delivered(ILogger logger, Guid runId, int recipientCount, string channel);

    [LoggerMessage(2002, LogLevel.Warning, "Failure alert for run {RunId} sent ({ErrorCode})")]
    public static partial void AlertSent(ILogger logger, Guid runId, string errorCode);

    [LoggerMessage(2003, LogLevel.Error, "Backup email for run {RunId} could not be sent: {ExceptionType}")]
    public static partial void DeliveryFailed(ILogger logger, Guid runId, string exceptionType);

    [LoggerMessage(2004, LogLevel.Error, "BackupCompleted for run {RunId} carries an artifact key this service did not make")]
    public static partial void UnusableArtifactKey(ILogger logger, Guid runId);
}

static class NotifierTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Notifier");
}
