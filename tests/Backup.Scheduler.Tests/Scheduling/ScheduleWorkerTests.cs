using Backup.Scheduler.Scheduling;

namespace Backup.Scheduler.Tests.Scheduling;

public class When_the_clock_reaches_two_in_the_morning_in_Berlin
{
    static readonly DateTimeOffset HalfPastMidnightUtc = new(2026, 11, 24, 0, 30, 0, TimeSpan.Zero);
    static readonly DateTimeOffset TwoInBerlin = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero); // CET, UTC+1

    static Dictionary<string, string?> Settings() => new()
    {
        ["Sources:demo:Schedule"] = "0 2 * * *",
        ["Sources:demo:TimeZone"] = "Europe/Berlin",
    };

    [Fact]
    public async Task It_plans_the_occurrence_in_the_sources_time_zone()
    {
        await using var scheduler = await SchedulerUnderTest.StartAsync(HalfPastMidnightUtc, Settings());

        var planned = await scheduler.NextPlannedOccurrence();

        Assert.Equal(TwoInBerlin, planned);
        Assert.Equal(TimeSpan.FromHours(1), planned.Offset);
    }

    [Fact]
    public async Task It_publishes_one_BackupRequested_for_that_occurrence()
    {
        await using var scheduler = await SchedulerUnderTest.StartAsync(HalfPastMidnightUtc, Settings());
        Assert.Equal(TwoInBerlin, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(TwoInBerlin.AddMinutes(1), step: TimeSpan.FromMinutes(31));

        var (request, clockAtPublish) = await scheduler.NextRequest();
        Assert.Equal("demo", request.Source);
        Assert.Equal(TwoInBerlin, request.RequestedAt);
        Assert.Equal("scheduler", request.RequestedBy);
        Assert.Equal(ScheduledRunIds.For("demo", TwoInBerlin), request.RunId);
        Assert.True(clockAtPublish >= TwoInBerlin, $"published at {clockAtPublish:o}, before the occurrence");

        // Once the worker plans the next day's occurrence it is done with this one: exactly one request was published.
        Assert.Equal(TwoInBerlin.AddDays(1), await scheduler.NextPlannedOccurrence());
        var published = Assert.Single(scheduler.PublishedSoFar());
        Assert.Equal(request.RunId, published.RunId);
    }

    [Fact]
    public async Task It_publishes_nothing_before_the_clock_gets_there()
    {
        await using var scheduler = await SchedulerUnderTest.StartAsync(HalfPastMidnightUtc, Settings());
        Assert.Equal(TwoInBerlin, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(TwoInBerlin.AddSeconds(-1), step: TimeSpan.FromMinutes(5));
        Assert.False(scheduler.AnyRequestYet);
        Assert.Empty(scheduler.PublishedSoFar());

        await scheduler.AdvanceTo(TwoInBerlin, step: TimeSpan.FromSeconds(1));

        var (request, clockAtPublish) = await scheduler.NextRequest();
        Assert.Equal(TwoInBerlin, clockAtPublish);
        Assert.Equal(TwoInBerlin, request.RequestedAt);
    }

    [Fact]
    public async Task It_publishes_again_the_next_day_with_another_run_id()
    {
        await using var scheduler = await SchedulerUnderTest.StartAsync(HalfPastMidnightUtc, Settings());
        Assert.Equal(TwoInBerlin, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(TwoInBerlin, step: TimeSpan.FromHours(1));
        var (first, _) = await scheduler.NextRequest();
        Assert.Equal(TwoInBerlin.AddDays(1), await scheduler.NextPlannedOccurrence());

        // A whole day: the worker waits in slices of at most an hour.
        await scheduler.AdvanceTo(TwoInBerlin.AddDays(1), step: TimeSpan.FromMinutes(20));
        var (second, clockAtPublish) = await scheduler.NextRequest();

        Assert.Equal(TwoInBerlin.AddDays(1), second.RequestedAt);
        Assert.Equal(TwoInBerlin.AddDays(1), clockAtPublish);
        Assert.Equal(ScheduledRunIds.For("demo", TwoInBerlin.AddDays(1)), second.RunId);
        Assert.NotEqual(first.RunId, second.RunId);
    }
}

public class When_the_scheduled_time_is_skipped_by_spring_forward
{
    [Fact]
    public async Task It_publishes_at_the_first_valid_instant_after_it()
    {
        // Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST (01:00 UTC), so 02:30 never happens that day.
        var beforeTheJump = new DateTimeOffset(2027, 3, 28, 0, 0, 0, TimeSpan.Zero);
        var threeInBerlin = new DateTimeOffset(2027, 3, 28, 1, 0, 0, TimeSpan.Zero);
        await using var scheduler = await SchedulerUnderTest.StartAsync(beforeTheJump, new()
        {
            ["Sources:demo:Schedule"] = "30 2 * * *",
            ["Sources:demo:TimeZone"] = "Europe/Berlin",
        });
        Assert.Equal(threeInBerlin, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(threeInBerlin, step: TimeSpan.FromMinutes(15));

        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(threeInBerlin, request.RequestedAt);
        Assert.Equal(ScheduledRunIds.For("demo", threeInBerlin), request.RunId);
        // The next day 02:30 exists again, in summer time (UTC+2).
        Assert.Equal(new DateTimeOffset(2027, 3, 29, 0, 30, 0, TimeSpan.Zero), await scheduler.NextPlannedOccurrence());
    }
}

public class When_the_scheduled_time_happens_twice_at_fall_back
{
    [Fact]
    public async Task It_publishes_once_at_the_first_of_the_two()
    {
        // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET, so 02:30 happens at 00:30 and again at 01:30 UTC.
        var theEveningBefore = new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero);
        var firstHalfPastTwo = new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero);
        await using var scheduler = await SchedulerUnderTest.StartAsync(theEveningBefore, new()
        {
            ["Sources:demo:Schedule"] = "30 2 * * *",
            ["Sources:demo:TimeZone"] = "Europe/Berlin",
        });
        Assert.Equal(firstHalfPastTwo, await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(firstHalfPastTwo, step: TimeSpan.FromMinutes(30));

        var (request, _) = await scheduler.NextRequest();
        Assert.Equal(firstHalfPastTwo, request.RequestedAt);
        // Not again at 01:30 UTC that night: the next one is 02:30 CET on the 26th.
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero), await scheduler.NextPlannedOccurrence());
    }
}

public class When_two_sources_have_their_own_schedules
{
    [Fact]
    public async Task Each_is_requested_at_its_own_time()
    {
        var midnight = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        await using var scheduler = await SchedulerUnderTest.StartAsync(midnight, new()
        {
            ["Sources:demo:Schedule"] = "0 2 * * *",
            ["Sources:demo:TimeZone"] = "Europe/Berlin",
            ["Sources:billing:Schedule"] = "15 0 * * *",
            ["Sources:billing:TimeZone"] = "Etc/UTC",
        });
        var planned = new[] { await scheduler.NextPlannedOccurrence(), await scheduler.NextPlannedOccurrence() };
        Assert.Equal([midnight.AddMinutes(15), midnight.AddHours(1)], planned.Order());

        await scheduler.AdvanceTo(midnight.AddMinutes(15), step: TimeSpan.FromMinutes(5));
        var (first, _) = await scheduler.NextRequest();
        Assert.Equal(("billing", midnight.AddMinutes(15)), (first.Source, first.RequestedAt));
        Assert.Equal(midnight.AddDays(1).AddMinutes(15), await scheduler.NextPlannedOccurrence());

        await scheduler.AdvanceTo(midnight.AddHours(1), step: TimeSpan.FromMinutes(5));
        var (second, _) = await scheduler.NextRequest();
        Assert.Equal(("demo", midnight.AddHours(1)), (second.Source, second.RequestedAt));
        Assert.NotEqual(first.RunId, second.RunId);
    }
}
