using Backup.Database.Scheduling;

namespace Backup.Scheduler.Tests.Options;

public class When_a_schedule_is_checked_by_the_rules_the_API_shares
{
    [Fact]
    public void A_good_one_has_no_problems()
    {
        Assert.Empty(ScheduleRules.Problems("30 3 * * 1-5", "America/New_York"));
        Assert.True(ScheduleRules.TryParse("0 2 * * *", "Europe/Berlin", out var cron, out var zone, out var problems));
        Assert.NotNull(cron);
        Assert.Equal("Europe/Berlin", zone.Id);
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("0 25 * * *", "Etc/UTC", "Cron")]
    [InlineData("0 2 * * *", "Mars/Base", "TimeZone")]
    [InlineData("", "", "Cron,TimeZone")]
    [InlineData(null, null, "Cron,TimeZone")]
    public void A_bad_one_names_each_field_and_the_value(string? cron, string? timeZone, string fields)
    {
        var problems = ScheduleRules.Problems(cron, timeZone);

        Assert.Equal(fields.Split(','), problems.Select(p => p.Field));
        Assert.False(ScheduleRules.TryParse(cron, timeZone, out _, out _, out var parsedProblems));
        Assert.Equal(problems, parsedProblems);
        if (fields.StartsWith("Cron", StringComparison.Ordinal)) Assert.Contains($"'{cron}'", problems[0].Problem);
    }
}
