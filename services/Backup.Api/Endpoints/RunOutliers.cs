using System.Globalization;

namespace Backup.Api.Endpoints;

/// <summary>A value of a run far from its source's usual ones: metric size (drop or jump) or duration (slow).</summary>
public sealed record RunOutlier(string Metric, string Kind, double Value, double ExpectedLow, double ExpectedHigh, string Text);

/// <summary>A successful run as the outlier rule reads it: its stored size and, when known, how long its dump took.</summary>
public sealed record MeasuredRun(Guid RunId, long SizeBytes, double? DumpSeconds);

/// <summary>
/// Flags a successful run whose size or dump duration is far from the previous up to <see cref="Baseline"/> successful
/// runs of its source (at least <see cref="MinimumBaseline"/> needed, else nothing is flagged). With m the median and
/// MAD the median absolute deviation of those runs: size is a drop below, or a jump above, m ± max(4 × 1.4826 × MAD,
/// 20 % of m); a duration is slow above max(m + 4 × 1.4826 × MAD, 2 × m) and over 5 s. Robust: one odd run among the
/// previous ones moves neither the median nor the MAD much.
/// </summary>
public static class RunOutliers
{
    public const int Baseline = 14;
    public const int MinimumBaseline = 5;
    const double Sigmas = 4 * 1.4826;
    const double SizeTolerance = 0.2;
    const double SlowFactor = 2;
    const double SlowFloorSeconds = 5;

    /// <summary>The outliers of each run of <paramref name="oldestFirst"/> (only runs with at least one), judged against the runs before it in the list.</summary>
    public static IReadOnlyDictionary<Guid, IReadOnlyList<RunOutlier>> Flag(IReadOnlyList<MeasuredRun> oldestFirst)
    {
        var flagged = new Dictionary<Guid, IReadOnlyList<RunOutlier>>();
        for (var i = 0; i < oldestFirst.Count; i++)
        {
            var previous = oldestFirst.Skip(Math.Max(0, i - Baseline)).Take(Math.Min(i, Baseline)).ToList();
            var outliers = new[] { Size(oldestFirst[i], previous), Duration(oldestFirst[i], previous) }.OfType<RunOutlier>().ToList();
            if (outliers.Count > 0) flagged[oldestFirst[i].RunId] = outliers;
        }
        return flagged;
    }

    static RunOutlier? Size(MeasuredRun run, IReadOnlyList<MeasuredRun> previous)
    {
        if (previous.Count < MinimumBaseline) return null;
        var sizes = previous.Select(p => (double)p.SizeBytes).ToList();
        var (median, mad) = (Median(sizes), Mad(sizes));
        var spread = Math.Max(Sigmas * mad, SizeTolerance * median);
        var (low, high) = (Math.Max(0, median - spread), median + spread);
        var usual = $"{Human.Bytes(low)}–{Human.Bytes(high)}";
        if (run.SizeBytes < low)
            return new("size", "drop", run.SizeBytes, low, high, $"Size {Human.Bytes(run.SizeBytes)}, far below the usual {usual}.");
        if (run.SizeBytes > high)
            return new("size", "jump", run.SizeBytes, low, high, $"Size {Human.Bytes(run.SizeBytes)}, far above the usual {usual}.");
        return null;
    }

    static RunOutlier? Duration(MeasuredRun run, IReadOnlyList<MeasuredRun> previous)
    {
        var durations = previous.Where(p => p.DumpSeconds is not null).Select(p => p.DumpSeconds!.Value).ToList();
        if (run.DumpSeconds is not { } seconds || durations.Count < MinimumBaseline) return null;
        var median = Median(durations);
        var limit = Math.Max(median + Sigmas * Mad(durations), SlowFactor * median);
        return seconds > limit && seconds > SlowFloorSeconds
            ? new("duration", "slow", seconds, 0, limit,
                $"Dump took {Human.Seconds(seconds)}, far longer than the usual {Human.Seconds(median)} (at most {Human.Seconds(limit)} expected).")
            : null;
    }

    static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    static double Mad(IReadOnlyList<double> values)
    {
        var median = Median(values);
        return Median(values.Select(v => Math.Abs(v - median)).ToList());
    }
}

/// <summary>Numbers as a person reads them: sizes in 1000-based units (B, kB, MB, GB, TB), durations in s or min.</summary>
public static class Human
{
    static readonly string[] Units = ["B", "kB", "MB", "GB", "TB"];

    public static string Bytes(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1000 && unit < Units.Length - 1) (bytes, unit) = (bytes / 1000, unit + 1);
        return unit == 0 ? $"{Math.Round(bytes).ToString(CultureInfo.InvariantCulture)} B" : $"{Short(bytes)} {Units[unit]}";
    }

    public static string Seconds(double seconds) => seconds < 120 ? $"{Short(seconds)} s" : $"{Short(seconds / 60)} min";

    /// <summary>An age in its two largest units: "45 s", "12 min", "3 h 5 min", "2 d 4 h".</summary>
    public static string Age(TimeSpan age) => age switch
    {
        { TotalMinutes: < 1 } => $"{Math.Max(0, (int)age.TotalSeconds)} s",
        { TotalHours: < 1 } => $"{(int)age.TotalMinutes} min",
        { TotalDays: < 1 } => $"{(int)age.TotalHours} h {age.Minutes} min",
        _ => $"{(int)age.TotalDays} d {age.Hours} h",
    };

    /// <summary>An instant as "2026-12-06 02:00 UTC".</summary>
    public static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    static string Short(double value) => value.ToString(Math.Abs(value) < 10 ? "0.#" : "0", CultureInfo.InvariantCulture);
}
