using Backup.ServiceDefaults;
using Microsoft.Extensions.Logging;

namespace Backup.Storage.TempFolders;

/// <summary>
/// Runs <see cref="TempFolderSweep"/> for this service's private folders as the service starts (what a killed
/// predecessor left behind goes before this one makes its own), then every <see cref="Interval"/> (a dead instance
/// on the same host that is not restarted, a folder without a lock file that was too young to remove at start). The
/// ages of files are judged by the real clock, which set them, whatever clock the service is given (a test's clock
/// years ahead must not make a live folder look old); the sweeps are timed by the service's clock.
/// </summary>
public sealed class TempFolderSweeper(TempFolderSweepSettings settings, TimeProvider clock, ILogger<TempFolderSweeper> logger)
    : PeriodicWork(clock)
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromHours(1);

    protected override TimeSpan Interval => SweepInterval;

    /// <summary>The sweep at start ran in <see cref="StartAsync"/>, before the service made folders of its own.</summary>
    protected override TimeSpan FirstRoundAfter => SweepInterval;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Sweep();
        return base.StartAsync(cancellationToken);
    }

    protected override Task RunOnceAsync(CancellationToken cancellationToken)
    {
        Sweep();
        return Task.CompletedTask;
    }

    protected override void Failed(Exception exception) => TempFolderLog.SweepFailed(logger, settings.Owner, exception.GetType().Name);

    void Sweep()
    {
        try
        {
            var result = TempFolderSweep.Run(settings, TimeProvider.System);
            if (result.RemovedFolders.Count > 0)
                TempFolderLog.RemovedFolders(logger, result.RemovedFolders.Count, settings.Owner, result.Parent, string.Join(", ", result.RemovedFolders));
            foreach (var name in result.NotRemoved)
                TempFolderLog.NotRemoved(logger, name, result.Parent);
            if (result.LockingUnavailable)
                TempFolderLog.LockingUnavailable(logger, settings.Owner, result.Parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TempFolderLog.SweepFailed(logger, settings.Owner, e.GetType().Name);
        }
    }
}

static partial class TempFolderLog
{
    [LoggerMessage(EventId = 5201, Level = LogLevel.Information,
        Message = "Removed {Count} abandoned private temp folder(s) of {Owner} under {Parent}, whose processes died without deleting them: {Folders}")]
    public static partial void RemovedFolders(ILogger logger, int count, string owner, string parent, string folders);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning,
        Message = "Could not remove the abandoned temp folder {Name} in {Parent}; check its permissions, the next sweep tries again")]
    public static partial void NotRemoved(ILogger logger, string name, string parent);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning,
        Message = "File locks are not in effect for this process under {Parent} (DOTNET_SYSTEM_IO_DISABLEFILELOCKING, or a file system without flock): no temp folder of {Owner} is removed, since a live one can't be told from an abandoned one")]
    public static partial void LockingUnavailable(ILogger logger, string owner, string parent);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Warning,
        Message = "The sweep of {Owner}'s temp folders failed ({ErrorType}); the next one tries again")]
    public static partial void SweepFailed(ILogger logger, string owner, string errorType);
}
