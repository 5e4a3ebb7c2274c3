using Backup.Scheduler.Scheduling;
using Cronos;

namespace Backup.Scheduler.Tests.Scheduling;

/// <summary>
/// The calendar the worker walks (each occurrence computed from the previous one), on the four daylight-saving
/// days of Europe/Berlin and America/New_York: a daily local time fires exactly once every day.
/// </summary>
public class On_daylight_saving_days
{
    // zone, cron, local date of the change, expected UTC instant of that day's single occurrence
    public static TheoryData<string, string, string, string> Days => new()
    {
        // Berlin spring-forward, 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:00 does not exist → 03:00 CEST.
        { "Europe/Berlin", "0 2 * * *", "2027-03-28", "2027-03-28T01:00:00Z" },
        { "Europe/Berlin", "30 2 * * *", "2027-03-28", "2027-03-28T01:00:00Z" },
        // Berlin fall-back, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:00 happens twice → the first (CEST).
        { "Europe/Berlin", "0 2 * * *", "2026-10-25", "2026-10-25T00:00:00Z" },
        { "Europe/Berlin", "30 2 * * *", "2026-10-25", "2026-10-25T00:30:00Z" },
        // New York spring-forward, 2027-03-14: 02:00 EST jumps to 03:00 EDT; 02:00 does not exist → 03:00 EDT.
        { "America/New_York", "0 2 * * *", "2027-03-14", "2027-03-14T07:00:00Z" },
        { "America/New_York", "30 2 * * *", "2027-03-14", "2027-03-14T07:00:00Z" },
        // New York fall-back, 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:00–01:59 happens twice, 02:00 once.
        { "America/New_York", "0 2 * * *", "2026-11-01", "2026-11-01T07:00:00Z" },
        { "America/New_York", "30 1 * * *", "2026-11-01", "2026-11-01T05:30:00Z" },
    };

    [Theory]
    [MemberData(nameof(Days))]
    public void A_daily_time_fires_exactly_once_that_day(string zoneId, string cronText, string day, string expectedUtc)
    {
        var (cron, zone) = (CronExpression.Parse(cronText), TimeZoneInfo.FindSystemTimeZoneById(zoneId));
        var date = DateOnly.Parse(day);

        var firings = Walk(cron, zone, date.AddDays(-2), date.AddDays(2));

        var thatDay = firings.Where(f => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(f, zone).DateTime) == date).ToList();
        Assert.Equal(DateTimeOffset.Parse(expectedUtc), Assert.Single(thatDay));
        // And once on each day around it: four days, four firings.
        Assert.Equal(4, firings.Count);
        Assert.Equal(4, firings.Select(f => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(f, zone).DateTime)).Distinct().Count());
    }

    [Theory]
    [InlineData("Europe/Berlin", "0 2 * * *", "2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z")]
    [InlineData("Europe/Berlin", "30 2 * * *", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")]
    [InlineData("America/New_York", "30 1 * * *", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z")]
    public void A_scheduler_started_during_the_repeated_hour_does_not_fire_it_again(string zoneId, string cronText,
        string firstUtc, string nextDayUtc)
    {
        var (cron, zone) = (CronExpression.Parse(cronText), TimeZoneInfo.FindSystemTimeZoneById(zoneId));
        var first = DateTimeOffset.Parse(firstUtc);

        // Started half an hour after the first one (inside the repeated hour), with it as the source's last occurrence.
        var startedAt = first.AddHours(1).AddMinutes(-1); // just before the same local time comes round again
        var planned = ScheduleCalendar.FirstToPlan(cron, zone, first, startedAt, TimeSpan.FromHours(6));
        var fromNow = ScheduleCalendar.Next(cron, zone, startedAt);

        Assert.Equal(DateTimeOffset.Parse(nextDayUtc), planned);
        Assert.Equal(DateTimeOffset.Parse(nextDayUtc), fromNow);
    }

    [Fact]
    public void Every_fifteen_minutes_keeps_firing_through_the_repeated_hour()
    {
        var (cron, zone) = (CronExpression.Parse("*/15 * * * *"), TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));

        // 2026-10-25 00:00Z to 02:00Z is 02:00 CEST to 03:00 CET: two real hours, every quarter of them.
        var firings = ScheduleCalendar.Latest(cron, zone, DateTimeOffset.Parse("2026-10-25T00:00:00Z"), DateTimeOffset.Parse("2026-10-25T02:00:00Z"));
        var count = cron.GetOccurrences(DateTimeOffset.Parse("2026-10-25T00:00:00Z"), DateTimeOffset.Parse("2026-10-25T02:00:00Z"), zone).Count();

        Assert.Equal(DateTimeOffset.Parse("2026-10-25T02:00:00Z"), firings);
        Assert.Equal(8, count);
    }

    // As the worker does: each occurrence from the one before, starting at local noon.
    static List<DateTimeOffset> Walk(CronExpression cron, TimeZoneInfo zone, DateOnly from, DateOnly to)
    {
        var start = new DateTimeOffset(from.ToDateTime(new TimeOnly(12, 0)), zone.GetUtcOffset(from.ToDateTime(new TimeOnly(12, 0))));
        var end = new DateTimeOffset(to.ToDateTime(new TimeOnly(12, 0)), zone.GetUtcOffset(to.ToDateTime(new TimeOnly(12, 0))));
        var firings = new List<DateTimeOffset>();
        for (var next = ScheduleCalendar.Next(cron, zone, start); next is { } n && n < end; next = ScheduleCalendar.Next(cron, zone, n))
            firings.Add(n);
        return firings;
    }
}

public class When_a_source_starts_after_missed_occurrences
{
    static readonly CronExpression Daily = CronExpression.Parse("0 2 * * *");
    static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    static readonly TimeSpan Window = TimeSpan.FromHours(6);
    static readonly DateTimeOffset TwoToday = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_latest_missed_one_inside_the_window_is_planned_already_due()
    {
        var now = TwoToday.AddHours(3);
        var planned = ScheduleCalendar.FirstToPlan(Daily, Utc, TwoToday.AddDays(-3), now, Window);

        Assert.Equal(TwoToday, planned);
        Assert.Equal(TwoToday, ScheduleCalendar.Latest(Daily, Utc, planned!.Value, now));
    }

    [Fact]
    public void Several_missed_inside_the_window_fire_as_the_latest_only()
    {
        var hourly = CronExpression.Parse("0 * * * *");
        var now = TwoToday.AddMinutes(30);

        var afterLongDowntime = ScheduleCalendar.FirstToPlan(hourly, Utc, TwoToday.AddDays(-3), now, Window);
        var afterShortDowntime = ScheduleCalendar.FirstToPlan(hourly, Utc, TwoToday.AddHours(-4), now, Window);

        Assert.Equal(TwoToday, afterLongDowntime);
        Assert.Equal(TwoToday.AddHours(-3), afterShortDowntime); // due: the worker fires the latest due from there
        Assert.Equal(TwoToday, ScheduleCalendar.Latest(hourly, Utc, afterShortDowntime!.Value, now));
    }

    [Fact]
    public void One_missed_outside_the_window_is_not_run_late()
    {
        var now = TwoToday.AddHours(7);

        Assert.Equal(TwoToday.AddDays(1), ScheduleCalendar.FirstToPlan(Daily, Utc, TwoToday.AddDays(-3), now, Window));
    }

    [Fact]
    public void A_source_without_any_occurrence_starts_from_now()
    {
        var now = TwoToday.AddHours(1);

        Assert.Equal(TwoToday.AddDays(1), ScheduleCalendar.FirstToPlan(Daily, Utc, null, now, Window));
    }

    [Fact]
    public void Nothing_is_caught_up_when_the_last_one_is_the_latest()
    {
        var now = TwoToday.AddHours(1);

        Assert.Equal(TwoToday.AddDays(1), ScheduleCalendar.FirstToPlan(Daily, Utc, TwoToday, now, Window));
    }
}
