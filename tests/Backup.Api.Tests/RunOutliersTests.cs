using Backup.Api.Endpoints;

namespace Backup.Api.Tests;

/// <summary>
/// The history's outlier rule on made-up runs: median and MAD of the previous up to 14 successful runs (at least 5),
/// size outside median ± max(4 × 1.4826 × MAD, 20 % of the median), duration over max(median + 4 × 1.4826 × MAD,
/// 2 × median) and over 5 s.
/// </summary>
public sealed class RunOutliersTests
{
    static List<MeasuredRun> Steady(int count, long size = 10_000, double seconds = 3) =>
        [.. Enumerable.Range(0, count).Select(i => new MeasuredRun(Guid.NewGuid(), size + (i % 3 - 1) * 100, seconds + (i % 2) * 0.2))];

    [Fact]
    public void A_size_drop_among_steady_sizes_is_flagged_with_the_usual_range_in_human_units()
    {
        var runs = Steady(10);
        var drop = new MeasuredRun(Guid.NewGuid(), 1_200, 3.1);
        runs.Add(drop);

        var flagged = RunOutliers.Flag(runs);

        var outlier = Assert.Single(Assert.Single(flagged).Value);
        Assert.Equal(drop.RunId, flagged.Keys.Single());
        Assert.Equal(("size", "drop", 1_200d), (outlier.Metric, outlier.Kind, outlier.Value));
        Assert.Equal(8_000, outlier.ExpectedLow); // median 10 000, MAD 100: 4 × 1.4826 × 100 < 20 % of 10 000
        Assert.Equal(12_000, outlier.ExpectedHigh);
        Assert.Equal("Size 1.2 kB, far below the usual 8 kB–12 kB.", outlier.Text);
    }

    [Fact]
    public void A_size_jump_is_flagged_and_a_size_within_20_percent_is_not()
    {
        var runs = Steady(6);
        runs.Add(new MeasuredRun(Guid.NewGuid(), 11_900, 3));
        var jump = new MeasuredRun(Guid.NewGuid(), 50_000, 3);
        runs.Add(jump);

        var flagged = RunOutliers.Flag(runs);

        Assert.Equal([jump.RunId], flagged.Keys);
        Assert.Equal("jump", Assert.Single(flagged[jump.RunId]).Kind);
    }

    [Fact]
    public void With_fewer_than_5_previous_runs_nothing_is_flagged()
    {
        var runs = Steady(4);
        runs.Add(new MeasuredRun(Guid.NewGuid(), 100, 300));

        Assert.Empty(RunOutliers.Flag(runs));
    }

    [Fact]
    public void Only_the_previous_14_runs_are_the_baseline()
    {
        var runs = Steady(20, size: 1_000);
        runs.AddRange(Steady(14, size: 100_000));
        var judged = new MeasuredRun(Guid.NewGuid(), 100_000, 3);
        runs.Add(judged);

        Assert.DoesNotContain(judged.RunId, RunOutliers.Flag(runs).Keys);
    }

    [Fact]
    public void A_slow_dump_is_flagged_over_twice_the_median_and_over_5_s_only()
    {
        var runs = Steady(8, seconds: 1);
        var quick = new MeasuredRun(Guid.NewGuid(), 10_000, 4.5); // over 2 × median, but under 5 s
        var slow = new MeasuredRun(Guid.NewGuid(), 10_000, 30);
        runs.AddRange([quick, slow]);

        var flagged = RunOutliers.Flag(runs);

        var outlier = Assert.Single(Assert.Single(flagged).Value);
        Assert.Equal(slow.RunId, flagged.Keys.Single());
        Assert.Equal(("duration", "slow", 30d), (outlier.Metric, outlier.Kind, outlier.Value));
        Assert.Equal("Dump took 30 s, far longer than the usual 1.2 s (at most 2.4 s expected).", outlier.Text);
    }

    [Theory]
    [InlineData(999, "999 B")]
    [InlineData(1_234, "1.2 kB")]
    [InlineData(12_345_678, "12 MB")]
    [InlineData(5_500_000_000, "5.5 GB")]
    public void Sizes_are_in_1000_based_units(double bytes, string text) => Assert.Equal(text, Human.Bytes(bytes));
}
