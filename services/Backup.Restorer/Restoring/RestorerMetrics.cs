using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Backup.Restorer.Restoring;

/// <summary>
/// The restorer's instrument, on the meter named like the service (its ApplicationName, "Backup.Restorer"): how long
/// each restore took and how it ended. Tags: the artifact's source, the outcome and the error code only.
/// </summary>
public sealed class RestorerMetrics
{
    public const string DurationName = "backup.restore.duration";

    readonly Histogram<double> duration;

    public RestorerMetrics(IMeterFactory meters, IHostEnvironment host) =>
        duration = meters.Create(host.ApplicationName).CreateHistogram<double>(DurationName, "s",
            "How long a restore took, from its start to RestoreCompleted or RestoreFailed; outcome completed or failed, backup.error_code when failed.");

    /// <summary>A restore that ended; <paramref name="errorCode"/> is null when it completed.</summary>
    public void Ended(string source, string? errorCode, TimeSpan elapsed)
    {
        var tags = new TagList { { "backup.source", source }, { "backup.outcome", errorCode is null ? "completed" : "failed" } };
        if (errorCode is not null) tags.Add("backup.error_code", errorCode);
        duration.Record(elapsed.TotalSeconds, tags);
    }
}
