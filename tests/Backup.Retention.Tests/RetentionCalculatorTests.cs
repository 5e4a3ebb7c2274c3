using Backup.Retention.Policy;

namespace Backup.Retention.Tests;

/// <summary>The retention decision on hand-made calendars: which backups stay, and the reason given for each.</summary>
public sealed class RetentionCalculatorTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);

    static RetainedBackup Daily(int daysAgo, string source = "demo", bool successful = true, int hour = 2) =>
        new(Guid.NewGuid(), source, new DateTimeOffset(Now.Date, TimeSpan.Zero).AddHours(hour).AddDays(-daysAgo), successful);

    static IReadOnlyList<RetentionDecision> Decide(IEnumerable<RetainedBackup> backups, RetentionRules rules, TimeZoneInfo? zone = null) =>
        RetentionCalculator.Decide(backups, _ => rules, Now, zone ?? TimeZoneInfo.Utc);

    static HashSet<DateOnly> KeptDays(IEnumerable<RetentionDecision> decisions) =>
        decisions.Where(d => d.Keep).Select(d => DateOnly.FromDateTime(d.Backup.CompletedAt.UtcDateTime)).ToHashSet();

    [Fact]
    public void Only_age_keeps_what_is_within_max_age_and_deletes_the_rest_with_an_age_reason()
    {
        var backups = Enumerable.Range(0, 40).Select(age => Daily(age)).ToList();
        var decisions = Decide(backups, new RetentionRules(TimeSpan.FromDays(30)));

        // The cutoff is 2026-10-25T03:00Z: the backup of 2026-10-25 at 02:00 is an hour too old.
        Assert.Equal(Enumerable.Range(0, 30).Select(age => DateOnly.FromDateTime(Now.UtcDateTime.Date.AddDays(-age))).ToHashSet(), KeptDays(decisions));
        var oldest = decisions.Single(d => d.Backup == backups[39]);
        Assert.False(oldest.Keep);
        Assert.Equal("age: completed 2026-10-16T02:00:00Z, older than 30 days", oldest.Reason);
        Assert.Equal(RetentionCodes.Age, oldest.Code);
    }

    [Fact]
    public void Weekly_and_monthly_rules_keep_the_newest_of_each_period_and_name_the_period_when_they_do_not()
    {
        // 2026-11-24 is a Tuesday in ISO week 48. 90 daily backups reach back to 2026-08-27.
        var backups = Enumerable.Range(0, 90).Select(age => Daily(age)).ToList();
        var decisions = Decide(backups, new RetentionRules(TimeSpan.FromDays(7), KeepLast: 1, KeepWeekly: 6, KeepMonthly: 4));

        // 7 days by age (Nov 17 at 02:00 is older than 7 days before Nov 24 03:00): Nov 18..24.
        // Weekly: Sundays of W47..W43 plus today (newest of W48): Nov 22, 15, 8, 1, Oct 25. Monthly: Nov 24, Oct 31, Sep 30, Aug 31.
        var expected = Enumerable.Range(0, 7).Select(age => new DateOnly(2026, 11, 24).AddDays(-age))
            .Concat([new(2026, 11, 15), new(2026, 11, 8), new(2026, 11, 1), new(2026, 10, 25), new(2026, 10, 31), new(2026, 9, 30), new(2026, 8, 31)])
            .ToHashSet();
        Assert.Equal(expected, KeptDays(decisions));

        var sunday = decisions.Single(d => DateOnly.FromDateTime(d.Backup.CompletedAt.UtcDateTime) == new DateOnly(2026, 10, 25));
        Assert.Equal("gfs: newest of week 2026-W43", sunday.Reason);
        var saturday = decisions.Single(d => DateOnly.FromDateTime(d.Backup.CompletedAt.UtcDateTime) == new DateOnly(2026, 10, 3));
        Assert.False(saturday.Keep);
        Assert.Equal(RetentionCodes.Gfs, saturday.Code);
        Assert.Equal("gfs: completed 2026-10-03T02:00:00Z, older than 7 days; not the newest of week 2026-W40; not the newest of month 2026-10",
            saturday.Reason);
        var oldSunday = decisions.Single(d => DateOnly.FromDateTime(d.Backup.CompletedAt.UtcDateTime) == new DateOnly(2026, 10, 4));
        Assert.Contains("week 2026-W40 is beyond the 6 weekly kept", oldSunday.Reason);
    }

    [Fact]
    public void The_floor_keeps_the_newest_good_backups_however_old_when_the_later_runs_failed()
    {
        var good = Enumerable.Range(35, 5).Select(age => Daily(age)).ToList();
        var failed = Enumerable.Range(0, 35).Select(age => Daily(age, successful: false)).ToList();
        var decisions = Decide([.. failed, .. good], new RetentionRules(TimeSpan.FromDays(30), KeepLast: 3));

        Assert.Equal(good.Take(3).Select(b => b.RunId).ToHashSet(),
            decisions.Where(d => d.Keep && d.Backup.Successful).Select(d => d.Backup.RunId).ToHashSet());
        Assert.All(decisions.Where(d => d.Backup.Successful && d.Keep), d => Assert.Equal("floor: one of the newest 3 good backups of demo", d.Reason));
        Assert.All(failed, b => Assert.Contains(decisions, d => d.Backup == b && d.Keep && d.Code == RetentionCodes.NoArtifact));
        Assert.Equal(2, decisions.Count(d => !d.Keep));
    }

    [Fact]
    public void Days_weeks_and_months_are_those_of_the_configured_time_zone()
    {
        // 23:30 UTC on Sunday 2026-11-01 is Monday 00:30 in Berlin: another ISO week (W45, not W44) and the same month.
        var late = new RetainedBackup(Guid.NewGuid(), "demo", new DateTimeOffset(2026, 11, 1, 23, 30, 0, TimeSpan.Zero));
        var early = new RetainedBackup(Guid.NewGuid(), "demo", new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var rules = new RetentionRules(TimeSpan.FromDays(1), KeepLast: 1, KeepWeekly: 2);

        Assert.True(Decide([late, early], rules, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Single(d => d.Backup == early).Keep);
        var inUtc = Decide([late, early], rules).Single(d => d.Backup == early);
        Assert.False(inUtc.Keep);
        Assert.Contains("not the newest of week 2026-W44", inUtc.Reason);
    }

    [Fact]
    public void Pending_deletions_stay_deleted_and_a_backup_a_restore_reads_is_kept()
    {
        var pending = Daily(50) with { PendingDeletion = "manual: deleted through the API by ops" };
        var read = Daily(45) with { RestoreInProgress = true };
        var old = Daily(44);
        var recent = Enumerable.Range(0, 3).Select(age => Daily(age)).ToList();
        var decisions = Decide([pending, read, old, .. recent], new RetentionRules(TimeSpan.FromDays(30)));

        Assert.Equal(("pending", "manual: deleted through the API by ops"), decisions.Where(d => d.Backup == pending).Select(d => (d.Code, d.Reason)).Single());
        Assert.Equal(("restore", true), decisions.Where(d => d.Backup == read).Select(d => (d.Code, d.Keep)).Single());
        Assert.False(decisions.Single(d => d.Backup == old).Keep);
    }

    [Fact]
    public void The_answer_does_not_depend_on_the_input_order_and_sources_have_their_own_rules()
    {
        var backups = Enumerable.Range(0, 60).Select(age => Daily(age, age % 2 == 0 ? "demo" : "billing")).ToList();
        RetentionRules RulesOf(string source) => source == "billing" ? new(TimeSpan.FromDays(10), KeepMonthly: 3) : new(TimeSpan.FromDays(20));

        var forward = RetentionCalculator.Decide(backups, RulesOf, Now, TimeZoneInfo.Utc);
        var backward = RetentionCalculator.Decide(Enumerable.Reverse(backups), RulesOf, Now, TimeZoneInfo.Utc);

        Assert.Equal(forward.Select(d => (d.Backup.RunId, d.Keep, d.Reason)), backward.Select(d => (d.Backup.RunId, d.Keep, d.Reason)));
        Assert.All(forward.Where(d => d.Backup.Source == "demo" && !d.Keep), d => Assert.StartsWith("age:", d.Reason));
        Assert.Contains(forward, d => d.Backup.Source == "billing" && d.Keep && d.Reason == "gfs: newest of month 2026-10");
    }

    [Theory]
    [InlineData("30d", 30 * 24 * 60)]
    [InlineData("12h", 12 * 60)]
    [InlineData("90m", 90)]
    [InlineData("2.00:00:00", 2 * 24 * 60)]
    public void Durations_parse_as_people_write_them(string text, int minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), Durations.TryParse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0d")]
    [InlineData("-3d")]
    [InlineData("thirty days")]
    public void Durations_that_are_not_positive_or_not_durations_are_refused(string text) => Assert.Null(Durations.TryParse(text));
}
