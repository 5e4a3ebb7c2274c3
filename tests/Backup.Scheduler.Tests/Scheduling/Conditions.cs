namespace Backup.Scheduler.Tests.Scheduling;

/// <summary>Waits on a condition with a deadline (10 s), never a fixed sleep.</summary>
static class Conditions
{
    public static async Task Eventually(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(20, deadline.Token);
    }
}
