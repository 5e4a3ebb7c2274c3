using Backup.Retention.Options;
using Backup.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Backup.Retention.Cleanup;

/// <summary>Runs the retention sweep every Retention:SweepInterval (the first one a minute after start).</summary>
public sealed class RetentionWorker(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<RetentionWorker> logger) : PeriodicWork(clock)
{
    protected override TimeSpan FirstRoundAfter => TimeSpan.FromMinutes(1);

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(cancellationToken);
    }

    // The next sweep tries again; nothing was marked Expired that still exists.
    protected override void Failed(Exception exception) => Log.SweepFailed(logger, exception);
}
