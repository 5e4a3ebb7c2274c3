namespace Backup.ServiceDefaults;

/// <summary>
/// Wakes a waiting loop of this process early (a job was just enqueued, an outbox row just committed) instead of at
/// its next poll. Notifications don't pile up: one wake-up covers everything notified before it.
/// </summary>
public class WakeUpSignal
{
    readonly SemaphoreSlim pending = new(0, 1);

    public void Notify()
    {
        try
        {
            pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // already pending
        }
    }

    /// <summary>True when notified; false when <paramref name="cancellationToken"/> ended the wait first.</summary>
    public async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await pending.WaitAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>True when notified; false when <paramref name="timeout"/> passed on <paramref name="clock"/> or the wait was cancelled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var timedOut = new CancellationTokenSource(timeout, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timedOut.Token);
        return await WaitAsync(either.Token);
    }
}
