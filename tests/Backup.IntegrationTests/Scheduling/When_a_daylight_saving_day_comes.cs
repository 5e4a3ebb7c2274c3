using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler.Scheduling;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// New York's spring-forward day on the real broker: 2027-03-14, 02:00 EST jumps to 03:00 EDT, so a 02:00 schedule
/// fires once, at 03:00 EDT (07:00Z), and the next day at 02:00 EDT (06:00Z).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_daylight_saving_day_comes(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset DayBefore = new(2027, 3, 13, 12, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset ThreeEdt = new(2027, 3, 14, 7, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset NextDayTwoEdt = new(2027, 3, 15, 6, 0, 0, TimeSpan.Zero);
    SchedulerWorld world = null!;

    public async Task InitializeAsync()
    {
        world = await SchedulerWorld.CreateAsync(infrastructure, DayBefore);
        await world.StartSchedulerAsync(new()
        {
            ["Sources:demo:Schedule"] = "0 2 * * *",
            ["Sources:demo:TimeZone"] = "America/New_York",
        }, "demo");
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public async Task A_two_oclock_schedule_fires_once_at_the_first_instant_after_the_gap()
    {
        await world.AdvanceTo(ThreeEdt);
        var row = await world.PublishedAsync("demo", ThreeEdt);
        await world.AdvanceTo(NextDayTwoEdt);
        await world.PublishedAsync("demo", NextDayTwoEdt);

        Assert.Equal(ScheduledRunIds.For("demo", ThreeEdt), row.RunId);
        var requested = world.Requests.Select(r => (r.GetProperty("runId").GetGuid(), r.GetProperty("requestedAt").GetDateTimeOffset())).ToList();
        Assert.Equal([(ScheduledRunIds.For("demo", ThreeEdt), ThreeEdt), (ScheduledRunIds.For("demo", NextDayTwoEdt), NextDayTwoEdt)], requested);
        Assert.Equal(2, (await world.OccurrencesAsync()).Count);
    }
}
