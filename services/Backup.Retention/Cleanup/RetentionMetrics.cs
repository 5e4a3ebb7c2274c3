using System.Diagnostics.Metrics;

namespace Backup.Retention.Cleanup;

/// <summary>
/// Retention's instruments, on the meter named like the service (its ApplicationName, "Backup.Retention"): artifacts
/// deleted by source and reason code (age, gfs, manual, orphan), deletes the store refused by source, and how long
/// each sweep took. Run ids and artifact keys are never tags.
/// </summary>
public sealed class RetentionMetrics
{
    public const string DeletedName = "backup.retention.deleted";
    public const string DeleteFailedName = "backup.retention.delete_failed";
    public const string SweepDurationName = "backup.retention.sweep.duration";

    /// <summary>The reason code of an orphan's deletion (a run the catalog never heard of).</summary>
    public const string Orphan = "orphan";

    readonly Counter<long> deleted;
    readonly Counter<long> deleteFailed;
    readonly Histogram<double> sweepDuration;

    public RetentionMetrics(IMeterFactory meters, IHostEnvironment host)
    {
        var meter = meters.Create(host.ApplicationName);
        deleted = meter.CreateCounter<long>(DeletedName, "{artifact}", "Artifacts deleted from the store, by source and reason code (age, gfs, manual, orphan).");
        deleteFailed = meter.CreateCounter<long>(DeleteFailedName, "{artifact}", "Deletes the store refused (the run stays pending deletion for the next sweep), by source.");
        sweepDuration = meter.CreateHistogram<double>(SweepDurationName, "s", "How long a retention sweep took; outcome completed or failed (sweeps another instance was running are not counted).");
    }

    public void Deleted(string source, string reasonCode) =>
        deleted.Add(1, new KeyValuePair<string, object?>("backup.source", source), new("backup.reason_code", reasonCode));

    public void DeleteFailed(string source) => deleteFailed.Add(1, new KeyValuePair<string, object?>("backup.source", source));

    public void SweepEnded(bool completed, TimeSpan elapsed) =>
        sweepDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("backup.outcome", completed ? "completed" : "failed"));
}
