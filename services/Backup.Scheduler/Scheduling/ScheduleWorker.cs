using Backup.Contracts;
using Backup.Scheduler.Options;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Scheduler.Scheduling;

/// <summary>
/// Publishes a BackupRequested for each source at each occurrence of its cron schedule, in the source's time zone.
/// Cronos resolves daylight-saving days: a time skipped by spring-forward fires at the first valid instant after it,
/// and a time that happens twice at fall-back fires once, at its first occurrence.
/// </summary>
public sealed class ScheduleWorker(
    IOptions<SourceSchedulesOptions> schedules,
    IBus bus,
    TimeProvider clock,
    ILogger<ScheduleWorker> logger) : BackgroundService
{
    public const string RequestedBy = "scheduler";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(schedules.Value.Select(source => RunScheduleAsync(source.Key, source.Value, stoppingToken)));

    async Task RunScheduleAsync(string source, SourceScheduleOptions schedule, CancellationToken stoppingToken)
    {
        var cron = schedule.Cron;
        var zone = schedule.Zone;
        var from = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = cron.GetNextOccurrence(from, zone);
            if (next is null) return; // an expression that never fires again
            Log.NextOccurrence(logger, source, next.Value);
            await DelayUntil(next.Value, stoppingToken);

            var request = new BackupRequested
            {
                RunId = ScheduledRunIds.For(source, next.Value),
                Source = source,
                RequestedAt = next.Value,
                RequestedBy = RequestedBy,
            };
            // A broker outage must not end a source's schedule: the same occurrence is tried until sent. Its run id is
            // derived from the occurrence, so a publish that did go through before the error was reported is harmless to repeat.
            await bus.PublishUntilSentAsync(request, clock, logger, stoppingToken);
            Log.Requested(logger, source, request.RunId, next.Value);
            from = next.Value;
        }
    }

    // Long delays are cut into slices so a clock that jumps (suspend, NTP) is noticed within the hour.
    async Task DelayUntil(DateTimeOffset when, CancellationToken stoppingToken)
    {
        for (var left = when - clock.GetUtcNow(); left > TimeSpan.Zero; left = when - clock.GetUtcNow())
            await Task.Delay(left < TimeSpan.FromHours(1) ? left : TimeSpan.FromHours(1), clock, stoppingToken);
    }
}
