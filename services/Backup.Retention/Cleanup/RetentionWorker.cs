using Backup.Retention.Options;
using Microsoft.Extensions.Options;

namespace Backup.Retention.Cleanup;

/// <summary>Runs the retention sweep every Retention:SweepInterval (the first one a minute after start).</summary>
public sealed class RetentionWorker(
    IServiceScopeFactory scopes,
    IOptions<RetentionOptions> options,
    TimeProvider clock,
    ILogger<RetentionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMinutes(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(delay, clock, stoppingToken);
            delay = options.Value.SweepInterval;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next sweep tries again; nothing was marked Expired that still exists.
                Log.SweepFailed(logger, e);
            }
        }
    }
}
