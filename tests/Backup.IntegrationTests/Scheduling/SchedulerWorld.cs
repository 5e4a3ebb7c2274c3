using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database.Scheduling;
using Backup.IntegrationTests.Infrastructure;
using Backup.Scheduler;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Scheduling;

/// <summary>
/// Scheduler instances on one test's broker virtual host and catalog database, sharing a fake clock the test moves;
/// every BackupRequested on the broker collected by a raw listener, and each instance's log.
/// </summary>
sealed class SchedulerWorld : IAsyncDisposable
{
    RawRabbit rabbit = null!;

    SchedulerWorld(BackupSystem system, FakeTimeProvider clock)
    {
        System = system;
        Clock = clock;
    }

    public BackupSystem System { get; }
    public FakeTimeProvider Clock { get; }
    public ConcurrentQueue<JsonElement> Requests { get; private set; } = null!;
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Logs { get; } = new();

    public static async Task<SchedulerWorld> CreateAsync(TestInfrastructure infrastructure, DateTimeOffset now)
    {
        var world = new SchedulerWorld(await BackupSystem.CreateAsync(infrastructure), new FakeTimeProvider(now));
        world.rabbit = await RawRabbit.ConnectAsync(world.System);
        world.Requests = await world.rabbit.ListenAsync("Backup.Contracts:BackupRequested");
        return world;
    }

    /// <summary>
    /// Starts one more scheduler instance (as Program.cs composes it) on the shared clock, and waits until it has
    /// planned the next occurrence of each of <paramref name="sources"/> (its "Next backup of" log), so the test moves
    /// the clock only once the instance is waiting.
    /// </summary>
    public async Task<WebApplication> StartSchedulerAsync(Dictionary<string, string?> settings, params string[] sources)
    {
        var logs = new ConcurrentQueue<(int, LogLevel, string)>();
        var app = await System.StartAsync("Backup.Scheduler", builder => builder.AddScheduler(),
            configure: configuration =>
            {
                configuration["Logging:LogLevel:Backup.Scheduler"] = "Information";
                foreach (var (key, value) in settings) configuration[key] = value;
            },
            services: services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddSingleton<ILoggerProvider>(new LogCollector(Logs, logs));
            });
        foreach (var source in sources)
            await Eventually.True(() => Task.FromResult(logs.Any(l => l.Item1 is 4001 or 4002 or 4003 && l.Item3.Contains($" of {source} ", StringComparison.Ordinal))),
                $"the new scheduler to plan {source}");
        return app;
    }

    /// <summary>
    /// Waits for a log of any instance with the event id that contains <paramref name="text"/>, nudging the clock a
    /// second per probe (see <see cref="PublishedAsync"/>).
    /// </summary>
    public Task LoggedAsync(int eventId, string text) =>
        Eventually.True(() =>
        {
            if (Logs.Any(l => l.EventId == eventId && l.Message.Contains(text, StringComparison.Ordinal))) return Task.FromResult(true);
            Clock.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(false);
        }, $"log {eventId} with \"{text}\"");

    /// <summary>Moves the clock to <paramref name="when"/> in steps, so no waiting scheduler misses the moment by much.</summary>
    public async Task AdvanceTo(DateTimeOffset when, TimeSpan? step = null)
    {
        var stride = step ?? TimeSpan.FromMinutes(30);
        while (Clock.GetUtcNow() < when)
        {
            var left = when - Clock.GetUtcNow();
            Clock.Advance(left < stride ? left : stride);
            await Task.Yield();
        }
    }

    /// <summary>
    /// Waits until the occurrence's row is published and its BackupRequested has arrived. Each probe nudges the clock
    /// a second, in case a scheduler armed its timer just as the clock moved (its delay then runs from the new time).
    /// </summary>
    public Task<ScheduleOccurrence> PublishedAsync(string source, DateTimeOffset occurrence) =>
        Eventually.Get(async () =>
        {
            var row = await OccurrenceAsync(source, occurrence);
            if (row?.PublishedAt is not null && RunIds().Contains(row.RunId)) return row;
            Clock.Advance(TimeSpan.FromSeconds(1));
            return null;
        }, $"occurrence {occurrence:o} of {source} to be published");

    public async Task<ScheduleOccurrence?> OccurrenceAsync(string source, DateTimeOffset occurrence)
    {
        await using var catalog = System.Catalog();
        return await catalog.ScheduleOccurrences.AsNoTracking()
            .SingleOrDefaultAsync(o => o.Source == source && o.Occurrence == occurrence.ToUniversalTime());
    }

    public async Task<List<ScheduleOccurrence>> OccurrencesAsync()
    {
        await using var catalog = System.Catalog();
        return await catalog.ScheduleOccurrences.AsNoTracking().OrderBy(o => o.Occurrence).ToListAsync();
    }

    public List<Guid> RunIds() => Requests.Select(r => r.GetProperty("runId").GetGuid()).ToList();

    public async ValueTask DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await System.DisposeAsync();
    }

    sealed class LogCollector(params ConcurrentQueue<(int, LogLevel, string)>[] queues) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            foreach (var queue in queues) queue.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public void Dispose()
        {
        }
    }
}
