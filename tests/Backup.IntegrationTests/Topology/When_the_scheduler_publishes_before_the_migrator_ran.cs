using Backup.IntegrationTests.Health;
using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler;
using Backup.Scheduler.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Topology;

/// <summary>
/// A scheduler whose 02:00 comes on a broker nothing has declared anything on: its mandatory BackupRequested comes
/// back (log 9101) and is tried again, the occurrence stays unpublished, until the migrator's step has declared the
/// dumper's queue: then the request is in that queue, once, and the occurrence is published. Never published into
/// the void and forgotten.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_scheduler_publishes_before_the_migrator_ran(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Occurrence = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero); // the default 0 2 * * * in Etc/UTC
    readonly FakeTimeProvider clock = new(Occurrence.AddMinutes(-30));
    readonly RecordedLogs logs = new();
    BackupSystem system = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure, runMigrator: false);
        await system.StartAsync("Backup.Scheduler", b => b.AddScheduler(), services: s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<ILoggerProvider>(logs);
        });
    }

    public Task DisposeAsync() => system.DisposeAsync().AsTask();

    [Fact]
    public async Task The_request_is_tried_again_until_the_dumpers_queue_exists_and_lands_there_once()
    {
        await Eventually.True(() =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return Task.FromResult(logs.Entries.Count(l => l is { EventId: 9101, Level: LogLevel.Error }
                && l.Message.Contains("BackupRequested", StringComparison.Ordinal)) >= 2);
        }, "the scheduler to have had its BackupRequested returned twice");
        Assert.Null((await OccurrenceAsync())!.PublishedAt);

        await system.RunMigratorAsync();

        var runId = ScheduledRunIds.For("demo", Occurrence);
        await Eventually.True(async () =>
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            return (await OccurrenceAsync())?.PublishedAt is not null;
        }, "the occurrence to be published once a queue takes it");
        Assert.Equal(runId, (await OccurrenceAsync())!.RunId);
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database") == 1,
            "the request to be in the dumper's queue");
    }

    async Task<Backup.Database.Scheduling.ScheduleOccurrence?> OccurrenceAsync()
    {
        await using var catalog = system.Catalog();
        return await catalog.ScheduleOccurrences.AsNoTracking().SingleOrDefaultAsync(o => o.Source == "demo" && o.Occurrence == Occurrence);
    }
}
