using System.Diagnostics;
using System.Diagnostics.Metrics;
using Backup.Recovery.Drills;

namespace Backup.Restorer.Drills;

/// <summary>
/// The drills' instruments, on the restorer's meter ("Backup.Restorer"): each drill's measured recovery time with its
/// outcome, each step's duration, and each drill's recovery time as a share of the source's target. Tags: the source,
/// the outcome, the error code and the step only.
/// </summary>
public sealed class DrillMetrics
{
    public const string DurationName = "backup.drill.duration";
    public const string StepDurationName = "backup.drill.step.duration";
    public const string RtoRatioName = "backup.drill.rto_ratio";

    readonly Histogram<double> duration;
    readonly Histogram<double> step;
    readonly Histogram<double> rtoRatio;

    public DrillMetrics(IMeterFactory meters, IHostEnvironment host)
    {
        var meter = meters.Create(host.ApplicationName);
        duration = meter.CreateHistogram<double>(DurationName, "s",
            "A restore drill's measured recovery time (fetch to last check); outcome passed or failed, backup.error_code when failed.");
        step = meter.CreateHistogram<double>(StepDurationName, "s", "One step of a restore drill (backup.step: fetch, decode, schema, data, indexes, restore, verify, checks).");
        rtoRatio = meter.CreateHistogram<double>(RtoRatioName, "1", "A passed drill's measured recovery time divided by the source's RtoTarget: above 1 is over the target.");
    }

    public void Ended(string source, DrillReport report, TimeSpan rtoTarget)
    {
        var tags = new TagList { { "backup.source", source }, { "backup.outcome", report.Passed ? "passed" : "failed" } };
        if (!report.Passed) tags.Add("backup.error_code", report.ErrorCode);
        duration.Record(report.RecoveryTime.TotalSeconds, tags);
        foreach (var s in report.Steps)
            step.Record(s.Duration.TotalSeconds, new TagList { { "backup.source", source }, { "backup.step", s.Name } });
        if (report.Passed && rtoTarget > TimeSpan.Zero)
            rtoRatio.Record(report.RecoveryTime / rtoTarget, new TagList { { "backup.source", source } });
    }
}
