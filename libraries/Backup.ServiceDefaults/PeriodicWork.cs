using Microsoft.Extensions.Hosting;

namespace Backup.ServiceDefaults;

/// <summary>
/// Background work that runs once at start (or <see cref="FirstRoundAfter"/> it) and then every <see cref="Interval"/>
/// on <see cref="Clock"/> (a FakeTimeProvider in tests). With a <see cref="WakeUp"/> signal, a round also runs as soon
/// as it is notified, and otherwise <see cref="Interval"/> after the previous round ended (a poll). A round that fails
/// (the catalog database is away, say) goes to <see cref="Failed"/>, which logs it, and the work runs again at the
/// next tick; shutting down ends it quietly. The one way this code base runs periodic work.
/// </summary>
public abstract class PeriodicWork(TimeProvider clock) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    /// <summary>Time between the starts of two rounds (with <see cref="WakeUp"/>: the longest wait between two rounds).</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>When the first round runs, counted from start; at once unless overridden.</summary>
    protected virtual TimeSpan FirstRoundAfter => TimeSpan.Zero;

    /// <summary>Wakes the work for a round before its time; none unless overridden.</summary>
    protected virtual WakeUpSignal? WakeUp => null;

    /// <summary>One round of the work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>A round failed: log it (it runs again at the next tick).</summary>
    protected abstract void Failed(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        try
        {
            if (FirstRoundAfter > TimeSpan.Zero)
                await Task.Delay(FirstRoundAfter, Clock, stoppingToken);
            using var timer = new PeriodicTimer(Interval, Clock);
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
            } while (await NextRoundAsync(timer, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task<bool> NextRoundAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        if (WakeUp is not { } signal)
            return await timer.WaitForNextTickAsync(stoppingToken);
        await signal.WaitAsync(Interval, Clock, stoppingToken);
        return !stoppingToken.IsCancellationRequested;
    }
}
