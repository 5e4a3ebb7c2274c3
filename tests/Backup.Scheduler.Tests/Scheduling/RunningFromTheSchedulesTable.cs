using Backup.Database.Scheduling;
using Backup.Scheduler.Scheduling;
using Microsoft.Extensions.Logging;

namespace Backup.Scheduler.Tests.Scheduling;

static class Berlin
{
    public static readonly DateTimeOffset TwoToday = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero); // 02:00 CET

    public static Dictionary<string, string?> Demo(string cron = "0 2 * * *") => new()
    {
        ["Sources:demo:Schedule"] = cron,
        ["Sources:demo:TimeZone"] = "Europe/Berlin",
    };

    /// <summary>An occurrence some earlier scheduler claimed and published.</summary>
    public static async Task Published(this InMemoryScheduleStore store, string source, DateTimeOffset occurrence)
    {
        await store.ClaimAsync(new ClaimedOccurrence(source, occurrence, ScheduledRunIds.For(source, occurrence), false), occurrence, "earlier", default);
        await store.MarkPublishedAsync(source, occurrence, occurrence, default);
    }
}

public class When_the_scheduler_starts_after_three_days_down
{
    [Fact]
    public async Task It_requests_the_latest_missed_occurrence_inside_the_window_once_marked_caught_up()
    {
        var store = new InMemoryScheduleStore();
        await store.Published("demo", Berlin.TwoToday.AddDays(-3));

        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(3), Berlin.Demo(), store);

        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(ScheduledRunIds.For("demo", Berlin.TwoToday), request.RunId);
        Assert.Equal(Berlin.TwoToday, request.RequestedAt);
        Assert.Equal(Berlin.TwoToday, await scheduler.NextPlannedOccurrence()); // planned due, at start
        Assert.Equal(Berlin.TwoToday.AddDays(1), await scheduler.NextPlannedOccurrence()); // then tomorrow
        Assert.Single(scheduler.PublishedSoFar());
        var row = store.Occurrences().Last();
        Assert.True(row.Occurrence.CaughtUp);
        Assert.NotNull(row.PublishedAt);
        Assert.Equal(2, store.Occurrences().Length);
    }

    [Fact]
    public async Task It_requests_nothing_when_the_latest_missed_one_is_outside_the_window()
    {
        var store = new InMemoryScheduleStore();
        await store.Published("demo", Berlin.TwoToday.AddDays(-3));

        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(7), Berlin.Demo(), store);

        Assert.Equal(Berlin.TwoToday.AddDays(1), await scheduler.NextPlannedOccurrence());
        Assert.Empty(scheduler.PublishedSoFar());
        Assert.Single(store.Occurrences());
    }
}

public class When_an_occurrence_was_claimed_but_never_published
{
    [Fact]
    public async Task The_next_scheduler_to_start_publishes_it_once_with_the_same_run_id()
    {
        var store = new InMemoryScheduleStore();
        var occurrence = Berlin.TwoToday.AddDays(-1);
        var runId = ScheduledRunIds.For("demo", occurrence);
        await store.ClaimAsync(new ClaimedOccurrence("demo", occurrence, runId, false), occurrence, "died", default);

        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(-12), Berlin.Demo(), store);
        var (request, _) = await scheduler.NextRequest();
        await scheduler.AdvanceTo(Berlin.TwoToday.AddHours(-11), step: TimeSpan.FromSeconds(30)); // many reloads later

        Assert.Equal(runId, request.RunId);
        Assert.Equal(occurrence, request.RequestedAt);
        Assert.Single(scheduler.PublishedSoFar());
        // The store marks it published once the publish returns, which may come after the bus saw the message.
        await Conditions.Eventually(() => store.Occurrences() is [{ PublishedAt: not null }]);
    }
}

public class When_a_schedule_is_changed_in_the_table
{
    [Fact]
    public async Task The_change_takes_effect_at_the_next_reload_without_a_restart()
    {
        var store = new InMemoryScheduleStore();
        var start = Berlin.TwoToday.AddHours(-2);
        await using var scheduler = await SchedulerUnderTest.StartAsync(start, Berlin.Demo(), store);
        Assert.Equal(Berlin.TwoToday, await scheduler.NextPlannedOccurrence());

        store.Put(new StoredSchedule("demo", "30 0 * * *", "Europe/Berlin", true)); // 00:30 CET = 23:30Z
        Assert.Equal(Berlin.TwoToday.AddHours(-1.5), await scheduler.AdvanceUntilPlanned(TimeSpan.FromSeconds(5))); // a reload later
        Assert.True(scheduler.Clock.GetUtcNow() < Berlin.TwoToday.AddHours(-1.5));

        await scheduler.AdvanceTo(Berlin.TwoToday.AddHours(1), step: TimeSpan.FromMinutes(5));
        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(Berlin.TwoToday.AddHours(-1.5), request.RequestedAt);
        Assert.Single(scheduler.PublishedSoFar()); // not at 02:00 any more
    }
}

public class When_a_row_in_the_table_is_bad
{
    [Fact]
    public async Task It_is_skipped_and_logged_while_the_other_sources_keep_firing()
    {
        var store = new InMemoryScheduleStore();
        store.Put(new StoredSchedule("broken", "0 25 * * *", "Europe/Berlin", true));
        store.Put(new StoredSchedule("nowhere", "0 2 * * *", "Mars/Base", true));
        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(-1), Berlin.Demo(), store);
        Assert.Equal(Berlin.TwoToday, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(Berlin.TwoToday, step: TimeSpan.FromMinutes(5));
        var (request, _) = await scheduler.NextRequest();

        Assert.Equal("demo", request.Source);
        var errors = scheduler.Logs.Where(l => l.EventId == 4005).ToList();
        Assert.Equal(2, errors.Count); // once each, not at every reload
        Assert.All(errors, e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.Contains(errors, e => e.Message.Contains("broken", StringComparison.Ordinal) && e.Message.Contains("'0 25 * * *' is not a five-field cron expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("nowhere", StringComparison.Ordinal) && e.Message.Contains("'Mars/Base' is not a known IANA time zone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_source_whose_row_goes_bad_stops_and_starts_again_once_fixed()
    {
        var store = new InMemoryScheduleStore();
        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(-1), Berlin.Demo(), store);
        Assert.Equal(Berlin.TwoToday, await scheduler.NextPlannedOccurrence());

        store.Put(new StoredSchedule("demo", "nonsense", "Europe/Berlin", true));
        await scheduler.AdvanceTo(Berlin.TwoToday.AddMinutes(30), step: TimeSpan.FromSeconds(30));
        Assert.Empty(scheduler.PublishedSoFar());

        store.Put(new StoredSchedule("demo", "0 3 * * *", "Europe/Berlin", true));
        Assert.Equal(Berlin.TwoToday.AddHours(1), await scheduler.AdvanceUntilPlanned(TimeSpan.FromSeconds(5)));
        await scheduler.AdvanceTo(Berlin.TwoToday.AddHours(1), step: TimeSpan.FromSeconds(30));
        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(Berlin.TwoToday.AddHours(1), request.RequestedAt);
    }
}

public class When_configuration_seeds_the_table
{
    [Fact]
    public async Task Rows_changed_through_the_API_are_left_alone()
    {
        var store = new InMemoryScheduleStore();
        store.Put(new StoredSchedule("demo", "0 4 * * *", "Europe/Berlin", true), ScheduleOrigins.Api);
        store.Put(new StoredSchedule("gone", "0 4 * * *", "Etc/UTC", true), ScheduleOrigins.Configuration);

        await using var scheduler = await SchedulerUnderTest.StartAsync(Berlin.TwoToday.AddHours(-1), Berlin.Demo(), store);

        Assert.Equal(Berlin.TwoToday.AddHours(2), await scheduler.NextPlannedOccurrence()); // 04:00, the API's
        var schedules = await store.ReadSchedulesAsync(default);
        Assert.Equal("0 4 * * *", schedules.Single(s => s.Source == "demo").Cron);
        Assert.False(schedules.Single(s => s.Source == "gone").Enabled); // configured no more
    }
}

public class When_two_schedulers_share_the_table
{
    [Fact]
    public async Task Each_occurrence_is_requested_once()
    {
        var store = new InMemoryScheduleStore();
        var start = Berlin.TwoToday.AddHours(-1);
        await using var first = await SchedulerUnderTest.StartAsync(start, Berlin.Demo("0 */6 * * *"), store);
        await using var second = await SchedulerUnderTest.StartAsync(start, Berlin.Demo("0 */6 * * *"), store);
        Assert.Equal(await first.NextPlannedOccurrence(), await second.NextPlannedOccurrence());

        for (var step = 0; step < 3 * 24 * 4; step++)
        {
            first.Clock.Advance(TimeSpan.FromMinutes(15));
            second.Clock.Advance(TimeSpan.FromMinutes(15));
            await Task.Yield();
        }
        var end = start.AddDays(3);
        await Conditions.Eventually(() => store.Occurrences().Length == 12 && store.Occurrences().All(o => o.PublishedAt is not null));

        var published = first.PublishedSoFar().Concat(second.PublishedSoFar()).ToList();
        Assert.Equal(12, published.Count);
        Assert.Equal(12, published.Select(p => p.RunId).Distinct().Count());
        Assert.All(published, p => Assert.True(p.RequestedAt <= end));
    }
}

public class When_the_scheduler_wakes_after_later_occurrences_came_due
{
    static readonly DateTimeOffset HalfPastMidnight = new(2026, 11, 24, 0, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, false)]   // the latest is due just now: on time (another instance fired the earlier one, say)
    [InlineData(10, true)]   // due 10 minutes ago: fired late
    public async Task Only_the_latest_fires_and_it_is_caught_up_only_when_it_is_late(int minutesLate, bool caughtUp)
    {
        await using var scheduler = await SchedulerUnderTest.StartAsync(HalfPastMidnight,
            new() { ["Sources:hourly:Schedule"] = "0 * * * *", ["Sources:hourly:TimeZone"] = "UTC" });
        Assert.Equal(HalfPastMidnight.AddMinutes(30), await scheduler.NextPlannedOccurrence());

        // The worker sleeps through 01:00 and 02:00 and wakes at 03:00 (+ minutesLate) in one step of the clock.
        var latest = HalfPastMidnight.AddMinutes(150);
        scheduler.Clock.Advance(latest.AddMinutes(minutesLate) - HalfPastMidnight);

        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(ScheduledRunIds.For("hourly", latest), request.RunId);
        var row = Assert.Single(scheduler.Store.Occurrences());
        Assert.Equal(latest, row.Occurrence.Occurrence);
        Assert.Equal(caughtUp, row.Occurrence.CaughtUp);
    }
}
