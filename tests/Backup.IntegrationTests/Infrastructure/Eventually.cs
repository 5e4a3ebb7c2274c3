namespace Backup.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition with a deadline; a test never sleeps for a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    public static async Task<T> Get<T>(Func<Task<T?>> probe, string what, TimeSpan? deadline = null) where T : class
    {
        var until = DateTime.UtcNow + (deadline ?? DefaultDeadline);
        while (true)
        {
            var value = await probe();
            if (value is not null) return value;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Timed out after {(deadline ?? DefaultDeadline).TotalSeconds:0} s waiting for {what}.");
            await Task.Delay(100);
        }
    }

    public static async Task True(Func<Task<bool>> probe, string what, TimeSpan? deadline = null) =>
        await Get<object>(async () => await probe() ? new object() : null, what, deadline);
}
