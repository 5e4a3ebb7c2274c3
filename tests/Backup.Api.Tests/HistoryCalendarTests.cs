using Backup.Api.Endpoints;
using Backup.Database;
using Cronos;

namespace Backup.Api.Tests;

/// <summary>The history's calendar: days in the source's time zone, missed occurrences, and each day's outcome.</summary>
public sealed class HistoryCalendarTests
{
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void A_day_begins_at_local_midnight_in_the_zone()
    {
        Assert.Equal(DateTimeOffset.Parse("2026-11-30T23:00:00Z"), HistoryCalendar.LocalMidnight(new DateOnly(2026, 12, 1), Berlin));
        Assert.Equal(new DateOnly(2026, 12, 2), HistoryCalendar.LocalDate(DateTimeOffset.Parse("2026-12-01T23:30:00Z"), Berlin));
        Assert.Equal([new DateOnly(2026, 12, 5), new DateOnly(2026, 12, 6)],
            HistoryCalendar.Dates(DateTimeOffset.Parse("2026-12-05T23:30:00Z"), Berlin, 2));
    }

    [Fact]
    public void An_occurrence_without_a_run_within_2_h_is_missed_on_its_local_date()
    {
        var cron = CronExpression.Parse("30 0 * * *"); // 00:30 Berlin = 23:30 UTC the day before
        var requests = new[]
        {
            DateTimeOffset.Parse("2026-11-30T23:30:00Z"), // Dec 1: on time
            DateTimeOffset.Parse("2026-12-02T01:00:00Z"), // Dec 2: 1.5 h late, still in the grace
            DateTimeOffset.Parse("2026-12-04T02:00:00Z"), // Dec 4: 2.5 h late: missed
        }; // Dec 3: none: missed; Dec 5's occurrence (Dec 4 23:30 UTC) is not judged before 01:30 UTC
        var missed = HistoryCalendar.MissedDates(cron, Berlin, DateTimeOffset.Parse("2026-11-30T00:00:00Z"),
            DateTimeOffset.Parse("2026-12-05T01:00:00Z"), requests);

        Assert.Equal([new DateOnly(2026, 12, 3), new DateOnly(2026, 12, 4)], missed.Order());
    }

    [Fact]
    public void A_success_beats_a_failure_and_a_day_of_failures_beats_a_missed_occurrence()
    {
        var dates = HistoryCalendar.Dates(DateTimeOffset.Parse("2026-12-04T12:00:00Z"), Berlin, 4);
        var runs = new[]
        {
            (DateTimeOffset.Parse("2026-12-01T01:00:00Z"), BackupRunStates.Failed),
            (DateTimeOffset.Parse("2026-12-01T02:00:00Z"), BackupRunStates.Expired),
            (DateTimeOffset.Parse("2026-12-02T01:00:00Z"), BackupRunStates.TimedOut),
            (DateTimeOffset.Parse("2026-12-02T03:00:00Z"), BackupRunStates.Failed),
        };
        var missed = new HashSet<DateOnly> { new(2026, 12, 2), new(2026, 12, 3) };

        var days = HistoryCalendar.Days(dates, runs, missed, Berlin);

        Assert.Equal(["success", "failure", "missed", "none"], days.Select(d => d.Outcome));
        Assert.Equal([2, 2, 0, 0], days.Select(d => d.Runs));
    }
}
