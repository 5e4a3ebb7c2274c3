using Backup.Retention.Policy;

namespace Backup.Retention.Policy.Tests;

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

    // Restore drills (issue 13, item 5): where drills are on for a source, only what they proved counts.

    static RetainedBackup Drilled(int daysAgo, DrillOutcome drill, string? error = null, string source = "demo") =>
        Daily(daysAgo, source) with { Drill = drill, DrillError = error };

    static RetentionRules Drills(RetentionRules rules) => rules with { DrillsOn = true };

    static HashSet<Guid> Kept(IEnumerable<RetentionDecision> decisions) => decisions.Where(d => d.Keep).Select(d => d.Backup.RunId).ToHashSet();

    static HashSet<Guid> Ids(params IEnumerable<RetainedBackup>[] groups) => groups.SelectMany(g => g).Select(b => b.RunId).ToHashSet();

    [Fact]
    public void With_drills_on_three_newest_backups_that_failed_their_drills_leave_the_older_verified_ones_in_the_floor()
    {
        var failed = Enumerable.Range(0, 3).Select(age => Drilled(age, DrillOutcome.Failed, "RowCountMismatch")).ToList();
        var verified = Enumerable.Range(3, 7).Select(age => Drilled(age, DrillOutcome.Passed)).ToList();
        var decisions = Decide([.. failed, .. verified], Drills(new RetentionRules(TimeSpan.FromDays(2), KeepLast: 3)));

        // Within 2 days (ages 0 and 1) by age only; the three newest verified (ages 3..5) by the floor; the rest deleted.
        Assert.Equal(Ids(failed.Take(2), verified.Take(3)), Kept(decisions));
        Assert.All(verified.Take(3), b => Assert.Equal((RetentionCodes.Floor, "floor: one of the newest 3 verified backups of demo"),
            decisions.Where(d => d.Backup == b).Select(d => (d.Code, d.Reason)).Single()));
        var keptFailed = decisions.Single(d => d.Backup == failed[0]);
        Assert.Equal(RetentionCodes.Age, keptFailed.Code);
        Assert.Equal("age: completed 2026-11-24T02:00:00Z, within 2 days; not good: its restore drill failed (RowCountMismatch), " +
            "so it does not count for the floor", keptFailed.Reason);
        var deletedFailed = decisions.Single(d => d.Backup == failed[2]);
        Assert.False(deletedFailed.Keep);
        Assert.Equal(RetentionCodes.Age, deletedFailed.Code);
        Assert.Equal("age: completed 2026-11-22T02:00:00Z, older than 2 days; not good: its restore drill failed (RowCountMismatch), " +
            "so neither the floor nor a calendar rule keeps it", deletedFailed.Reason);
        Assert.All(verified.Skip(3), b => Assert.StartsWith("age: completed", decisions.Single(d => d.Backup == b).Reason));
    }

    [Fact]
    public void With_drills_off_verifications_change_nothing()
    {
        var backups = Enumerable.Range(0, 10)
            .Select(age => Drilled(age, age < 3 ? DrillOutcome.Failed : age % 2 == 0 ? DrillOutcome.Passed : DrillOutcome.Pending, age < 3 ? "RestoreFailed" : null))
            .ToList();
        var rules = new RetentionRules(TimeSpan.FromDays(2), KeepLast: 3, KeepDaily: 5);
        var undrilled = backups.Select(b => b with { Drill = DrillOutcome.None, DrillError = null }).ToList();

        var withVerifications = Decide(backups, rules);
        var without = Decide(undrilled, rules);

        Assert.Equal(without.Select(d => (d.Backup.RunId, d.Keep, d.Code, d.Reason)), withVerifications.Select(d => (d.Backup.RunId, d.Keep, d.Code, d.Reason)));
        Assert.Equal(Ids(backups.Take(5)), Kept(withVerifications));
        Assert.Equal("floor: one of the newest 3 good backups of demo", withVerifications.Single(d => d.Backup == backups[0]).Reason);
    }

    [Fact]
    public void A_backup_whose_drill_failed_is_never_chosen_by_a_calendar_rule_but_an_unproven_one_may_be()
    {
        // 2026-11-24 is a Tuesday of ISO week 48. Week 47's newest (Sunday 22nd) failed its drill; week 46's newest (Sunday 15th) is pending.
        var backups = Enumerable.Range(0, 21).Select(age => age switch
        {
            2 => Drilled(age, DrillOutcome.Failed, "CheckFailed"),
            9 => Drilled(age, DrillOutcome.Pending),
            _ => Drilled(age, DrillOutcome.Passed),
        }).ToList();
        var decisions = Decide(backups, Drills(new RetentionRules(TimeSpan.FromHours(12), KeepLast: 1, KeepWeekly: 3)));

        Assert.Equal(new HashSet<DateOnly> { new(2026, 11, 24), new(2026, 11, 21), new(2026, 11, 15) }, KeptDays(decisions));
        Assert.Equal("gfs: newest of week 2026-W47", decisions.Single(d => d.Backup == backups[3]).Reason);
        Assert.Equal("gfs: newest of week 2026-W46", decisions.Single(d => d.Backup == backups[9]).Reason);
        var failedSunday = decisions.Single(d => d.Backup == backups[2]);
        Assert.False(failedSunday.Keep);
        Assert.Contains("not good: its restore drill failed (CheckFailed)", failedSunday.Reason);
    }

    [Fact]
    public void The_newest_verified_backup_is_kept_however_old_and_however_many_newer_ones_are_unproven_or_failed()
    {
        var newer = Enumerable.Range(31, 20).Select(age => Drilled(age, (age % 4) switch
        {
            0 => DrillOutcome.None,
            1 => DrillOutcome.Pending,
            2 => DrillOutcome.Skipped,
            _ => DrillOutcome.Failed,
        }, age % 4 == 3 ? "Interrupted" : null)).ToList();
        var verified = Drilled(200, DrillOutcome.Passed);
        var older = Drilled(201, DrillOutcome.Passed);
        var decisions = Decide([.. newer, verified, older], Drills(new RetentionRules(TimeSpan.FromDays(30), KeepLast: 1)));

        Assert.Equal(Ids([verified]), Kept(decisions));
        Assert.Equal("floor: one of the newest 1 verified backups of demo", decisions.Single(d => d.Backup == verified).Reason);
        Assert.All(newer.Where(b => b.Drill != DrillOutcome.Failed), b => Assert.Equal(
            $"age: completed {b.CompletedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, older than 30 days", decisions.Single(d => d.Backup == b).Reason));
    }

    [Fact]
    public void While_too_few_backups_are_verified_the_newest_unproven_ones_fill_the_floor_and_failed_ones_never_do()
    {
        // All older than the 30 days: only the floor keeps anything.
        var none = Drilled(40, DrillOutcome.None);
        var failed = Drilled(41, DrillOutcome.Failed, "ObjectMissing");
        var pending = Drilled(42, DrillOutcome.Pending);
        var skipped = Drilled(43, DrillOutcome.Skipped);
        var oldest = Drilled(44, DrillOutcome.None);
        var rules = Drills(new RetentionRules(TimeSpan.FromDays(30), KeepLast: 3));

        var noneVerified = Decide([none, failed, pending, skipped, oldest], rules);
        Assert.Equal(Ids([none, pending, skipped]), Kept(noneVerified));
        Assert.Equal("floor: no backup of demo is verified yet, so the newest 3 unproven ones stand in (this one: its drill is pending)",
            noneVerified.Single(d => d.Backup == pending).Reason);
        Assert.EndsWith("(this one: no drill has checked it)", noneVerified.Single(d => d.Backup == none).Reason);
        Assert.EndsWith("(this one: its drill was skipped)", noneVerified.Single(d => d.Backup == skipped).Reason);

        var verified = Drilled(45, DrillOutcome.Passed);
        var oneVerified = Decide([none, failed, pending, skipped, oldest, verified], rules);
        Assert.Equal(Ids([verified, none, pending]), Kept(oneVerified));
        Assert.Equal("floor: only 1 backup of demo is verified, so the newest unproven ones fill the other 2 of its 3 places (this one: no drill has checked it)",
            oneVerified.Single(d => d.Backup == none).Reason);
        Assert.Contains("not good: its restore drill failed (ObjectMissing)", oneVerified.Single(d => d.Backup == failed).Reason);
    }

    [Fact]
    public void When_every_backup_left_failed_its_drill_the_newest_is_kept_as_a_last_resort_unless_age_keeps_one()
    {
        var failed = Enumerable.Range(40, 4).Select(age => Drilled(age, DrillOutcome.Failed, "RestoreFailed")).ToList();
        var rules = Drills(new RetentionRules(TimeSpan.FromDays(30), KeepLast: 3));

        var allOld = Decide(failed, rules);
        var lastResort = Assert.Single(allOld, d => d.Keep);
        Assert.Equal(failed[0], lastResort.Backup);
        Assert.Equal(RetentionCodes.LastResort, lastResort.Code);
        Assert.Equal("last resort: not good (its restore drill failed (RestoreFailed)), but the newest backup of demo, none of which is verified " +
            "or awaiting a drill; a source is never left without a backup", lastResort.Reason);

        // A failed backup within the 30 days is kept by age: that is the source's backup, and the old ones go.
        var recent = Drilled(1, DrillOutcome.Failed, "RestoreFailed");
        var withRecent = Decide([recent, .. failed], rules);
        Assert.Equal(Ids([recent]), Kept(withRecent));
        Assert.DoesNotContain(withRecent, d => d.Code == RetentionCodes.LastResort);

        // A pending deletion (by hand) is not a backup the source keeps: the newest of the others is the last resort.
        var decided = Decide([failed[0] with { PendingDeletion = "manual: deleted through the API by ops" }, .. failed.Skip(1)], rules);
        Assert.Equal(Ids([failed[1]]), Kept(decided));
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
