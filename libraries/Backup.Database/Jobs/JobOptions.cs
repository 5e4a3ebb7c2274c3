using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Database.Jobs;

/// <summary>How workers hold their claims: section "Jobs", the same for every kind of job in a service.</summary>
public sealed class JobOptions : IConfigurationSection<JobOptions>, ISelfValidatingOptions
{
    public static string Section => "Jobs";

    /// <summary>How often a running job's claim is renewed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A running job whose claim has not been renewed for this long is taken over by another worker: its holder is
    /// taken for dead. At least three heartbeats, so a slow database round trip doesn't hand a live job over.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often an idle worker looks for due jobs (retries whose delay has passed, jobs enqueued by another instance, stale claims).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Finished jobs are deleted after this long (the catalog's backup_runs keep the history).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00")]
    public TimeSpan KeepFinishedFor { get; set; } = TimeSpan.FromDays(7);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (StaleAfter < HeartbeatInterval * 3)
            yield return (nameof(StaleAfter), $"must be at least three times HeartbeatInterval ({HeartbeatInterval}), so a live worker is never taken for dead; it is {StaleAfter}.");
    }
}

/// <summary>One worker loop: which kind of job, how many at once, how many attempts before giving up.</summary>
public sealed record JobWorkerSettings(string Kind, int Concurrency, int MaxAttempts);
