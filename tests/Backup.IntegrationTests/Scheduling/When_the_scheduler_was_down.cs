using Backup.Database.Scheduling;
using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler.Scheduling;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// The source's last occurrence in schedule_occurrences is three days old: the scheduler was down since. At start,
/// the latest missed occurrence fires once if it is inside Scheduler:CatchUpWindow (6 h), marked caught up; an
/// older one does not fire at all.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_scheduler_was_down(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset TwoToday = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero); // 02:00 in Berlin
    static readonly Dictionary<string, string?> Berlin = new() { ["Sources:demo:TimeZone"] = "Europe/Berlin" };
    readonly List<SchedulerWorld> worlds = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var world in worlds) await world.DisposeAsync();
    }

    async Task<SchedulerWorld> DownForThreeDaysUntil(DateTimeOffset now)
    {
        var world = await SchedulerWorld.CreateAsync(infrastructure, now);
        worlds.Add(world);
        await using var catalog = world.System.Catalog();
        var last = TwoToday.AddDays(-3);
        catalog.ScheduleOccurrences.Add(new ScheduleOccurrence
        {
            Source = "demo", Occurrence = last, RunId = ScheduledRunIds.For("demo", last),
            ClaimedAt = last, ClaimedBy = "an earlier scheduler", PublishedAt = last,
        });
        await catalog.SaveChangesAsync();
        return world;
    }

    [Fact]
    public async Task It_requests_the_latest_missed_occurrence_once_at_start_marked_caught_up()
    {
        var world = await DownForThreeDaysUntil(TwoToday.AddHours(3));

        await world.StartSchedulerAsync(Berlin, "demo");
        var row = await world.PublishedAsync("demo", TwoToday);

        Assert.True(row.CaughtUp);
        Assert.Equal(ScheduledRunIds.For("demo", TwoToday), row.RunId);
        Assert.Equal([row.RunId], world.RunIds()); // one request: not one for each of the three missed days
        Assert.Equal(2, (await world.OccurrencesAsync()).Count);
        Assert.Contains(world.Logs, l => l.EventId == 4003 && l.Message.Contains("demo", StringComparison.Ordinal));
    }

    [Fact]
    public async Task It_requests_nothing_when_the_latest_missed_one_is_outside_the_window()
    {
        var world = await DownForThreeDaysUntil(TwoToday.AddHours(7));

        await world.StartSchedulerAsync(Berlin, "demo");
        // The next thing it requests is tomorrow's: nothing was caught up at start.
        await world.AdvanceTo(TwoToday.AddDays(1));
        var tomorrow = await world.PublishedAsync("demo", TwoToday.AddDays(1));

        Assert.False(tomorrow.CaughtUp);
        Assert.Equal([tomorrow.RunId], world.RunIds());
        Assert.Null(await world.OccurrenceAsync("demo", TwoToday));
    }
}

/// <summary>
/// A scheduler claimed an occurrence (its row is in schedule_occurrences) and died before publishing it
/// (published_at is null): the next scheduler to start publishes it, once, with the same run id.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_an_occurrence_was_claimed_but_never_published(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Occurrence = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
    SchedulerWorld world = null!;

    public async Task InitializeAsync()
    {
        world = await SchedulerWorld.CreateAsync(infrastructure, Occurrence.AddMinutes(5));
        await using var catalog = world.System.Catalog();
        catalog.ScheduleOccurrences.Add(new ScheduleOccurrence
        {
            Source = "demo", Occurrence = Occurrence, RunId = ScheduledRunIds.For("demo", Occurrence),
            ClaimedAt = Occurrence, ClaimedBy = "a scheduler that died", PublishedAt = null,
        });
        await catalog.SaveChangesAsync();
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public async Task The_next_scheduler_publishes_it_once_at_start()
    {
        await world.StartSchedulerAsync(new() { ["Sources:demo:TimeZone"] = "Europe/Berlin" }, "demo");

        var row = await world.PublishedAsync("demo", Occurrence);
        Assert.NotEqual("a scheduler that died", row.ClaimedBy);
        Assert.Contains(world.Logs, l => l.EventId == 4008);

        // Through a day of reloads up to the next occurrence: that is the only other request.
        await world.AdvanceTo(Occurrence.AddDays(1));
        var next = await world.PublishedAsync("demo", Occurrence.AddDays(1));
        Assert.Equal([row.RunId, next.RunId], world.RunIds());
    }
}
