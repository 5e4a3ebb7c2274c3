using System.Collections.Concurrent;
using System.Threading.Channels;
using Backup.Contracts;
using Backup.Scheduler.Options;
using Backup.Scheduler.Scheduling;
using Backup.ServiceDefaults.Options;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Scheduler.Tests.Scheduling;

/// <summary>
/// The scheduler's worker and options registered as AddScheduler does, on MassTransit's in-memory test harness
/// instead of RabbitMQ and an in-memory schedule store instead of the catalog database, with a fake clock. Two signals replace any sleeping: the worker's "next backup at" log
/// (written once it has chosen an occurrence, just before it waits for it) and every published BackupRequested
/// together with the fake clock's time at the moment it was published.
/// </summary>
sealed class SchedulerUnderTest : IAsyncDisposable
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    readonly IHost host;
    readonly Channel<DateTimeOffset> plannedOccurrences;
    readonly Channel<(BackupRequested Message, DateTimeOffset ClockAtPublish)> requests;
    readonly RequestRecorder recorder;

    SchedulerUnderTest(IHost host, FakeTimeProvider clock, InMemoryScheduleStore store, Channel<DateTimeOffset> plannedOccurrences,
        Channel<(BackupRequested, DateTimeOffset)> requests, RequestRecorder recorder)
    {
        this.host = host;
        this.recorder = recorder;
        Clock = clock;
        Store = store;
        this.plannedOccurrences = plannedOccurrences;
        this.requests = requests;
        Harness = host.Services.GetRequiredService<ITestHarness>();
    }

    public FakeTimeProvider Clock { get; }

    /// <summary>The schedules and occurrences tables, shared by every scheduler started on it.</summary>
    public InMemoryScheduleStore Store { get; }

    public ITestHarness Harness { get; }

    /// <summary>Everything the worker logged: event id, level and the formatted message.</summary>
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Logs { get; private init; } = new();

    public static async Task<SchedulerUnderTest> StartAsync(DateTimeOffset now, Dictionary<string, string?> settings,
        InMemoryScheduleStore? store = null)
    {
        var clock = new FakeTimeProvider(now);
        store ??= new InMemoryScheduleStore();
        var planned = Channel.CreateUnbounded<DateTimeOffset>();
        var requests = Channel.CreateUnbounded<(BackupRequested, DateTimeOffset)>();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new ConcurrentQueue<(int, LogLevel, string)>();
        builder.Logging.AddProvider(new NextOccurrenceLog(planned.Writer, logs));
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddMassTransitTestHarness();
        builder.AddValidatedOptions<SourceSchedulesOptions>();
        builder.AddValidatedOptions<SchedulerOptions>();
        builder.Services.AddSingleton<IScheduleStore>(store);
        builder.Services.AddHostedService<ScheduleWorker>();

        var host = builder.Build();
        var recorder = new RequestRecorder(clock, requests.Writer);
        host.Services.GetRequiredService<IBus>().ConnectPublishObserver(recorder);
        using var deadline = new CancellationTokenSource(Deadline);
        await host.StartAsync(deadline.Token);
        return new SchedulerUnderTest(host, clock, store, planned, requests, recorder) { Logs = logs };
    }

    /// <summary>Waits until the worker has chosen its next occurrence (and is about to wait for it).</summary>
    public async Task<DateTimeOffset> NextPlannedOccurrence()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await plannedOccurrences.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>
    /// Moves the clock by <paramref name="step"/> at a time until the worker plans an occurrence (after a reload, say).
    /// A worker that armed its timer just as the clock moved waits from the new time: the next step wakes it.
    /// </summary>
    public async Task<DateTimeOffset> AdvanceUntilPlanned(TimeSpan step)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            using var moment = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            moment.CancelAfter(TimeSpan.FromMilliseconds(50));
            try
            {
                return await plannedOccurrences.Reader.ReadAsync(moment.Token);
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                Clock.Advance(step);
            }
        }
    }

    public async Task<(BackupRequested Message, DateTimeOffset ClockAtPublish)> NextRequest()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await requests.Reader.ReadAsync(deadline.Token);
    }

    /// <summary>
    /// What has been published so far, without waiting for more: recorded where <see cref="NextRequest"/>'s requests are
    /// (the harness's own list of published messages can lag behind a request the test has already seen).
    /// </summary>
    public BackupRequested[] PublishedSoFar() => [.. recorder.Seen];

    public bool AnyRequestYet => requests.Reader.TryPeek(out _);

    /// <summary>Moves the clock to <paramref name="when"/> in steps, letting the worker run between them.</summary>
    public async Task AdvanceTo(DateTimeOffset when, TimeSpan step)
    {
        while (Clock.GetUtcNow() < when)
        {
            var left = when - Clock.GetUtcNow();
            Clock.Advance(left < step ? left : step);
            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await host.StopAsync(deadline.Token);
        host.Dispose();
    }

    sealed class RequestRecorder(TimeProvider clock, ChannelWriter<(BackupRequested, DateTimeOffset)> requests) : IPublishObserver
    {
        public ConcurrentQueue<BackupRequested> Seen { get; } = new();

        public Task PrePublish<T>(PublishContext<T> context) where T : class
        {
            if (context.Message is BackupRequested request)
            {
                Seen.Enqueue(request);
                requests.TryWrite((request, clock.GetUtcNow()));
            }
            return Task.CompletedTask;
        }

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }

    /// <summary>Picks the worker's "Next backup of {Source} at {Occurrence}" log (event 4001) out of the log stream.</summary>
    sealed class NextOccurrenceLog(ChannelWriter<DateTimeOffset> planned, ConcurrentQueue<(int, LogLevel, string)> logs) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == typeof(ScheduleWorker).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            logs.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
            if (eventId.Id == 4001 && state is IReadOnlyList<KeyValuePair<string, object?>> fields
                && fields.FirstOrDefault(f => f.Key == "Occurrence").Value is DateTimeOffset occurrence)
                planned.TryWrite(occurrence);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public void Dispose()
        {
        }
    }
}
