using System.Diagnostics;
using System.Diagnostics.Metrics;
using Backup.Storage;

namespace Backup.Dumper.Dumping;

/// <summary>
/// The dumper's instruments, on the meter named like the service (its ApplicationName, "Backup.Dumper", which the
/// shared defaults export): how long each dump took and how it ended, and how big the artifacts are. Tags are the
/// configured source name, the outcome and the error code only.
/// </summary>
public sealed class DumperMetrics
{
    public const string DurationName = "backup.dump.duration";
    public const string StoredSizeName = "backup.dump.stored_size";
    public const string RawSizeName = "backup.dump.raw_size";

    readonly Histogram<double> duration;
    readonly Histogram<long> storedSize;
    readonly Histogram<long> rawSize;

    public DumperMetrics(IMeterFactory meters, IHostEnvironment host)
    {
        var meter = meters.Create(host.ApplicationName);
        duration = meter.CreateHistogram<double>(DurationName, "s",
            "How long a dump took, from its start to the stored manifest or the failure; outcome completed or failed, backup.error_code when failed.");
        storedSize = meter.CreateHistogram<long>(StoredSizeName, "By", "The size of each stored artifact (compressed, encrypted if so), as in its manifest.");
        rawSize = meter.CreateHistogram<long>(RawSizeName, "By", "The size of each dump's pg_dump archive before compression, as in its manifest.");
    }

    /// <summary>A dump that stored its artifact and manifest.</summary>
    public void Completed(ArtifactManifest manifest, TimeSpan elapsed)
    {
        var source = new KeyValuePair<string, object?>("backup.source", manifest.Source);
        duration.Record(elapsed.TotalSeconds, source, new("backup.outcome", "completed"));
        storedSize.Record(manifest.StoredSizeBytes, source);
        rawSize.Record(manifest.RawSizeBytes, source);
    }

    /// <summary>A dump that failed for good; <paramref name="source"/> is null when the request named no configured source.</summary>
    public void Failed(string? source, string errorCode, TimeSpan elapsed)
    {
        var tags = new TagList { { "backup.outcome", "failed" }, { "backup.error_code", errorCode } };
        if (source is not null) tags.Add("backup.source", source);
        duration.Record(elapsed.TotalSeconds, tags);
    }
}
