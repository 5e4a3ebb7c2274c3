namespace Backup.Catalog.Outbox;

/// <summary>Wakes the outbox dispatcher of this process when a row was just committed, instead of at its next poll.</summary>
public sealed class OutboxSignal
{
    readonly SemaphoreSlim pending = new(0, 1);

    public void Notify()
    {
        try { pending.Release(); }
        catch (SemaphoreFullException) { } // already pending: one wake-up covers every row committed before it
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => pending.WaitAsync(timeout, cancellationToken);
}
