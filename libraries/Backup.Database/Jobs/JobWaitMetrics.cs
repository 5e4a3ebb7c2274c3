using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Backup.Database.Jobs;

/// <summary>
/// backup.jobs.oldest_waiting_age (seconds, tag backup.job_kind), on the meter named like the service: how long the
/// oldest due job of each kind this service works on has been waiting for a worker, as of now, from what its worker last
/// saw (<see cref="JobWorker{THandler}"/> looks each time it has claimed what it could; no query per scrape). 0 while
/// none waits. A growing value means the workers are busy, stopped, or can't claim.
/// </summary>
public sealed class JobWaitMetrics
{
    public const string OldestWaitingAgeName = "backup.jobs.oldest_waiting_age";

    readonly ConcurrentDictionary<string, DateTimeOffset?> oldestWaitingSince = new(StringComparer.Ordinal);

    public JobWaitMetrics(IMeterFactory meters, IHostEnvironment host, TimeProvider clock) =>
        meters.Create(host.ApplicationName).CreateObservableGauge(OldestWaitingAgeName, () => oldestWaitingSince.Select(kind =>
                new Measurement<double>(kind.Value is { } since ? Math.Max(0, (clock.GetUtcNow() - since).TotalSeconds) : 0,
                    new KeyValuePair<string, object?>("backup.job_kind", kind.Key))), "s",
            "Seconds the oldest due job of the kind (backup.job_kind: dump, restore, drill) has waited for a worker, as of now; 0 while none waits.");

    /// <summary>What the worker of <paramref name="kind"/> saw: the oldest due job's not_before, or null when none waits.</summary>
    public void Saw(string kind, DateTimeOffset? oldestWaitingSince) => this.oldestWaitingSince[kind] = oldestWaitingSince;
}
