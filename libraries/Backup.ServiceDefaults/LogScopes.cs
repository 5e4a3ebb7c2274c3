using Microsoft.Extensions.Logging;

namespace Backup.ServiceDefaults;

/// <summary>The log scopes every consumer and job opens, so each line it logs carries the id it works for.</summary>
public static class LogScopes
{
    /// <summary>A scope with RunId: every log line of a backup run's handling carries it.</summary>
    public static IDisposable? BeginRunScope(this ILogger logger, Guid runId) =>
        logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId });

    /// <summary>A scope with RestoreId: every log line of a restore's handling carries it.</summary>
    public static IDisposable? BeginRestoreScope(this ILogger logger, Guid restoreId) =>
        logger.BeginScope(new Dictionary<string, object> { ["RestoreId"] = restoreId });
}
