using Backup.Database.Scheduling;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// The schedules table is the scheduler's at run time: a row changed while it runs takes effect at the next reload
/// (Scheduler:ReloadInterval), without a restart; rows with a bad cron or an unknown time zone (edited by hand) are
/// skipped with an error naming the source and the problem, and the other sources keep firing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_schedules_table_changes(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2026, 11, 23, 22, 0, 0, TimeSpan.Zero); // 23:00 in Berlin
    static readonly DateTimeOffset HalfPastMidnight = new(2026, 11, 23, 23, 30, 0, TimeSpan.Zero); // 00:30 in Berlin
    SchedulerWorld world = null!;

    public async Task InitializeAsync()
    {
        world = await SchedulerWorld.CreateAsync(infrastructure, Start);
        await using var catalog = world.System.Catalog();
        catalog.Schedules.AddRange(
            new Schedule { Source = "broken", Cron = "0 25 * * *", TimeZone = "Europe/Berlin", Origin = ScheduleOrigins.Api, UpdatedAt = Start },
            new Schedule { Source = "nowhere", Cron = "0 2 * * *", TimeZone = "Mars/Base", Origin = ScheduleOrigins.Api, UpdatedAt = Start },
            new Schedule { Source = "hourly", Cron = "15 * * * *", TimeZone = "Etc/UTC", Origin = ScheduleOrigins.Api, UpdatedAt = Start });
        await catalog.SaveChangesAsync();
        await world.StartSchedulerAsync(new() { ["Sources:demo:TimeZone"] = "Europe/Berlin" }, "demo", "hourly");
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public async Task A_changed_row_takes_effect_without_a_restart_and_bad_rows_are_skipped()
    {
        // The seeded row of demo, then the fine "hourly" source fires while the bad rows are skipped.
        await Eventually.True(async () => await ScheduleAsync("demo") is { Cron: "0 2 * * *", Origin: ScheduleOrigins.Configuration },
            "demo's schedule to be seeded from configuration");
        await world.AdvanceTo(Start.AddMinutes(15));
        await world.PublishedAsync("hourly", Start.AddMinutes(15));

        var errors = world.Logs.Where(l => l.EventId == 4005).ToList();
        Assert.All(errors, e => Assert.Equal(LogLevel.Error, e.Level));
        Assert.Contains(errors, e => e.Message.Contains("broken", StringComparison.Ordinal) && e.Message.Contains("'0 25 * * *' is not a five-field cron expression", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("nowhere", StringComparison.Ordinal) && e.Message.Contains("'Mars/Base' is not a known IANA time zone", StringComparison.Ordinal));

        // demo from 02:00 to 00:30 Berlin time, by hand in the table.
        await world.System.Postgres.ExecuteAsync(world.System.CatalogDatabase,
            "UPDATE schedules SET cron = '30 0 * * *', origin = 'api' WHERE source = 'demo'");
        await world.AdvanceTo(world.Clock.GetUtcNow().AddSeconds(30)); // Scheduler:ReloadInterval
        await world.LoggedAsync(4006, "The schedule of demo is now '30 0 * * *'");
        await world.AdvanceTo(HalfPastMidnight);
        await world.PublishedAsync("demo", HalfPastMidnight);

        // The hourly one kept firing; the bad ones never did.
        await world.PublishedAsync("hourly", Start.AddMinutes(75));
        var sources = (await world.OccurrencesAsync()).Select(o => o.Source).ToHashSet();
        Assert.Equal(["demo", "hourly"], sources.Order());
    }

    async Task<Schedule?> ScheduleAsync(string source)
    {
        await using var catalog = world.System.Catalog();
        return await catalog.Schedules.AsNoTracking().SingleOrDefaultAsync(s => s.Source == source);
    }
}
