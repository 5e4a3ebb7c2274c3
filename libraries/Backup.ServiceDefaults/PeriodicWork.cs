using Microsoft.Extensions.Hosting;

namespace Backup.ServiceDefaults;

/// <summary>
/// Background work that runs once at start and then every <see cref="Interval"/> on <see cref="Clock"/> (a
/// FakeTimeProvider in tests). A round that fails (the catalog database is away, say) goes to <see cref="Failed"/>,
/// which logs it, and the work runs again at the next tick; shutting down ends it quietly.
/// </summary>
public abstract class PeriodicWork(TimeProvider clock) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    /// <summary>Time between the starts of two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One round of the work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>A round failed: log it (it runs again at the next tick).</summary>
    protected abstract void Failed(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        using var timer = new PeriodicTimer(Interval, Clock);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Failed(e);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
