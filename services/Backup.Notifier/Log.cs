namespace Backup.Notifier;

static partial class Log
{
    [LoggerMessage(2001, LogLevel.Information, "Backup email for run {RunId} delivered to {RecipientCount} recipient(s) via {Channel}")]
    public static partial void Delivered(ILogger logger, Guid runId, int recipientCount, string channel);

    [LoggerMessage(2002, LogLevel.Warning, "Failure alert for run {RunId} sent ({ErrorCode})")]
    public static partial void AlertSent(ILogger logger, Guid runId, string errorCode);

    [LoggerMessage(2003, LogLevel.Error, "Backup email for run {RunId} could not be sent: {ExceptionType}")]
    public static partial void DeliveryFailed(ILogger logger, Guid runId, string exceptionType);

    [LoggerMessage(2004, LogLevel.Error, "BackupCompleted for run {RunId} carries an artifact key this service did not make")]
    public static partial void UnusableArtifactKey(ILogger logger, Guid runId);

    [LoggerMessage(2005, LogLevel.Error, "The outcome of the {Kind} email of run {RunId} to {RecipientCount} recipient(s) is unknown; recorded, not resent, administrators alerted: {Error}")]
    public static partial void OutcomeUnknown(ILogger logger, Guid runId, string kind, int recipientCount, string error);

    [LoggerMessage(2006, LogLevel.Information, "Webhook {Webhook} received the {Kind} alert of source {Source}")]
    public static partial void WebhookPosted(ILogger logger, string webhook, string kind, string source);

    [LoggerMessage(2007, LogLevel.Error, "Webhook {Webhook} failed: {Problem}")]
    public static partial void WebhookFailed(ILogger logger, string webhook, string problem);

    [LoggerMessage(2008, LogLevel.Information, "Pinged the check of source {Source}: {Signal}")]
    public static partial void Pinged(ILogger logger, string source, string signal);

    [LoggerMessage(2009, LogLevel.Warning, "Stale alarm {Alarm} for source {Source} sent")]
    public static partial void StaleAlarmSent(ILogger logger, string source, int alarm);

    [LoggerMessage(2010, LogLevel.Information, "Source {Source} is no longer stale; recovery message sent")]
    public static partial void StaleRecovered(ILogger logger, string source);

    [LoggerMessage(2011, LogLevel.Error, "Stale alarm message for source {Source} could not be sent ({ExceptionType}); tried again at the next check")]
    public static partial void StaleAlarmNotSent(ILogger logger, string source, string exceptionType);

    [LoggerMessage(2012, LogLevel.Error, "Could not check for stale sources; trying again at the next tick")]
    public static partial void StaleCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(2013, LogLevel.Warning, "The {Kind} email of run {RunId} to {RecipientCount} recipient(s) was claimed by notifier {Holder} at {ClaimedAt} with no outcome within Notifier:SendingTimeout ({SendingTimeout}): it died mid-send; recorded unknown, not resent, administrators alerted")]
    public static partial void SendingAbandoned(ILogger logger, string kind, Guid runId, int recipientCount, string holder, DateTimeOffset claimedAt, TimeSpan sendingTimeout);

    [LoggerMessage(2014, LogLevel.Warning, "Drill failure alert for run {RunId} sent ({ErrorCode})")]
    public static partial void DrillAlertSent(ILogger logger, Guid runId, string errorCode);

    [LoggerMessage(2015, LogLevel.Warning, "Drill over-target warning for run {RunId} sent: {RecoverySeconds} s measured, target {RtoTargetSeconds} s")]
    public static partial void DrillOverTargetSent(ILogger logger, Guid runId, double recoverySeconds, double rtoTargetSeconds);

    [LoggerMessage(2018, LogLevel.Warning, "Data warning for run {RunId} sent ({Findings} table(s))")]
    public static partial void DataWarningSent(ILogger logger, Guid runId, int findings);

    [LoggerMessage(2016, LogLevel.Warning, "No-verified-backup alarm {Alarm} for source {Source} sent")]
    public static partial void UnverifiedAlarmSent(ILogger logger, string source, int alarm);

    [LoggerMessage(2017, LogLevel.Information, "Source {Source} has a recent verified backup again; recovery message sent")]
    public static partial void VerifiedAgain(ILogger logger, string source);
}

static class NotifierTelemetry
{
    public static readonly System.Diagnostics.ActivitySource Source = new("Backup.Notifier");
}
