using System.Collections.Concurrent;

namespace Backup.Database.Jobs;

/// <summary>Wakes this process's worker of a kind as soon as a job of that kind is enqueued here, instead of at its next poll.</summary>
public sealed class JobSignal
{
    readonly ConcurrentDictionary<string, SemaphoreSlim> kinds = new();

    public void Notify(string kind)
    {
        var semaphore = For(kind);
        if (semaphore.CurrentCount == 0) semaphore.Release();
    }

    /// <summary>Completes when notified or when <paramref name="timeout"/> has passed, whichever comes first.</summary>
    public async Task WaitAsync(string kind, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await For(kind).WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    SemaphoreSlim For(string kind) => kinds.GetOrAdd(kind, _ => new SemaphoreSlim(0, 1));
}
