using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler.Scheduling;
using Cronos;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// Two scheduler instances (two hosts, one catalog database, one broker virtual host) over a week that contains
/// Berlin's fall-back night, the clock moved occurrence by occurrence: each occurrence is one schedule_occurrences
/// row and exactly one BackupRequested on the broker.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_two_schedulers_run_for_a_week(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Start = new(2026, 10, 21, 12, 0, 0, TimeSpan.Zero);
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    SchedulerWorld world = null!;

    static Dictionary<string, string?> Settings() => new()
    {
        ["Sources:demo:Schedule"] = "30 2 * * *",
        ["Sources:demo:TimeZone"] = "Europe/Berlin",
        ["Sources:nightly:Schedule"] = "0 */6 * * *",
        ["Sources:nightly:TimeZone"] = "Europe/Berlin",
        // The test nudges the clock while it waits: keep the take-over of unpublished claims out of the way.
        ["Scheduler:RepublishAfter"] = "00:30:00",
    };

    public async Task InitializeAsync()
    {
        world = await SchedulerWorld.CreateAsync(infrastructure, Start);
        await world.StartSchedulerAsync(Settings(), "demo", "nightly");
        await world.StartSchedulerAsync(Settings(), "demo", "nightly");
    }

    public Task DisposeAsync() => world.DisposeAsync().AsTask();

    [Fact]
    public async Task Each_occurrence_is_requested_exactly_once()
    {
        var expected = Occurrences("demo", "30 2 * * *").Concat(Occurrences("nightly", "0 */6 * * *"))
            .OrderBy(o => o.At).ToList();
        // Fall-back night: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET); only the first is an occurrence.
        Assert.Contains(("demo", new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero)), expected);
        Assert.DoesNotContain(("demo", new DateTimeOffset(2026, 10, 25, 1, 30, 0, TimeSpan.Zero)), expected);
        Assert.Equal(7, expected.Count(o => o.Source == "demo"));

        foreach (var (source, at) in expected)
        {
            await world.AdvanceTo(at);
            await world.PublishedAsync(source, at);
        }

        var rows = await world.OccurrencesAsync();
        Assert.Equal(expected.Select(o => (o.Source, o.At.ToUniversalTime())).Order(),
            rows.Select(r => (r.Source, r.Occurrence.ToUniversalTime())).Order());
        Assert.All(rows, r => Assert.NotNull(r.PublishedAt));
        Assert.All(rows, r => Assert.False(r.CaughtUp));
        var perRun = world.RunIds().GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.Select(o => ScheduledRunIds.For(o.Source, o.At)).Order(), perRun.Keys.Order());
        Assert.All(perRun, run => Assert.Equal(1, run.Value));
    }

    static IEnumerable<(string Source, DateTimeOffset At)> Occurrences(string source, string cron) =>
        CronExpression.Parse(cron).GetOccurrences(Start, Start.AddDays(7), Berlin).Select(at => (source, at.ToUniversalTime()));
}
