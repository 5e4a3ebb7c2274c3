using Backup.Database;
using Backup.Database.Outbox;
using Backup.Catalog.DataChecks;
using Backup.Catalog.Options;
using Backup.Catalog.StateMachines;
using Backup.Catalog.Timeouts;
using Backup.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Catalog.Tests.StateMachines;

/// <summary>
/// The backup-run saga on MassTransit's in-memory test harness with an in-memory repository and a fake clock.
/// Events are published one at a time and each is awaited until the saga has consumed it, so the order a test
/// publishes in is the order the saga sees. Every message carries a catalog DbContext that is never connected, as the
/// EF repository's would: the timeline rows the saga adds to it are what it would have saved with the run.
/// </summary>
sealed class BackupRunUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    readonly ServiceProvider provider;

    BackupRunUnderTest(ServiceProvider provider, FakeTimeProvider clock)
    {
        this.provider = provider;
        Clock = clock;
        Harness = provider.GetRequiredService<ITestHarness>();
        Saga = Harness.GetSagaStateMachineHarness<BackupRunStateMachine, BackupRun>();
    }

    public Guid RunId { get; } = Guid.NewGuid();

    public FakeTimeProvider Clock { get; }

    public ITestHarness Harness { get; }

    public ISagaStateMachineTestHarness<BackupRunStateMachine, BackupRun> Saga { get; }

    public BackupRunStateMachine Machine => Saga.StateMachine;

    /// <summary>The unsaved catalog DbContext the saga's timeline rows go to.</summary>
    public CatalogDbContext Timeline { get; } = new CatalogDesignTimeFactory().CreateDbContext([]);

    /// <summary>The transitions recorded so far, oldest first (tests move the clock between events).</summary>
    public (string? From, string To, string Event)[] Transitions() =>
        Timeline.ChangeTracker.Entries<BackupRunTransition>().Select(e => e.Entity)
            .Where(t => t.RunId == RunId).OrderBy(t => t.At)
            .Select(t => (t.FromState, t.ToState, t.Event)).ToArray();

    public static async Task<BackupRunUnderTest> StartAsync(Action<CatalogOptions>? configure = null)
    {
        var clock = new FakeTimeProvider(Start);
        BackupRunUnderTest? run = null;
        var services = new ServiceCollection().AddSingleton<TimeProvider>(clock);
        services.AddOptions<CatalogOptions>().Configure(options => configure?.Invoke(options));
        services.AddMetrics().AddLogging().AddSingleton<IHostEnvironment>(new HostingEnvironment { ApplicationName = "Backup.Catalog" })
            .AddSingleton<CatalogMetrics>().AddSingleton<BackupDataCheck>();
        var provider = services
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromSeconds(10), testInactivityTimeout: TimeSpan.FromSeconds(5));
                x.AddSagaStateMachine<BackupRunStateMachine, BackupRun>().InMemoryRepository();
                x.AddConfigureEndpointsCallback((_, _, endpoint) =>
                    endpoint.UseExecute(context => context.GetOrAddPayload(() => run!.Timeline)));
            })
            .BuildServiceProvider(validateScopes: true);
        run = new BackupRunUnderTest(provider, clock);
        await run.Harness.Start();
        return run;
    }

    /// <summary>Publishes one event of this run and waits until the saga endpoint has consumed it.</summary>
    public async Task Publish<T>(T message) where T : class
    {
        var messageId = NewId.NextGuid();
        await Harness.Bus.Publish(message, context => context.MessageId = messageId);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await Harness.Consumed.Any<T>(x => x.Context.MessageId == messageId, deadline.Token),
            $"{typeof(T).Name} was not consumed in time.");
    }

    /// <summary>Messages that failed in the saga, or faults published for them, so far.</summary>
    public string[] Faults() =>
        Harness.Consumed.Select(x => x.Exception is not null, new CancellationToken(canceled: true))
            .Select(x => $"{x.MessageType.Name}: {x.Exception!.GetType().Name}: {x.Exception.Message}")
            .Concat(Harness.Published.Select(x => typeof(Fault).IsAssignableFrom(x.MessageType), new CancellationToken(canceled: true))
                .Select(x => x.MessageType.Name))
            .ToArray();

    /// <summary>The run as the repository holds it now; null when there is none.</summary>
    public async Task<BackupRun?> Load()
    {
        var repository = provider.GetRequiredService<ILoadSagaRepository<BackupRun>>();
        return await repository.Load(RunId);
    }

    public async Task<BackupRun> LoadIn(State state)
    {
        Assert.Equal(RunId, await Saga.Exists(RunId, state, TimeSpan.FromSeconds(10)));
        var run = await Load();
        Assert.NotNull(run);
        Assert.Equal(state.Name, run.CurrentState);
        return run;
    }

    public BackupRequested Requested(DateTimeOffset at) =>
        new() { RunId = RunId, Source = "demo", RequestedAt = at, RequestedBy = "scheduler" };

    public BackupStarted Started(DateTimeOffset at) => new() { RunId = RunId, Source = "demo", StartedAt = at };

    public BackupCompleted Completed(DateTimeOffset startedAt, DateTimeOffset completedAt) => new()
    {
        RunId = RunId,
        Source = "demo",
        StartedAt = startedAt,
        CompletedAt = completedAt,
        ArtifactKey = $"demo/2026/11/24/20261124T010000Z-{RunId:N}.dump",
        SizeBytes = 123_456,
        RawSizeBytes = 493_824,
        Sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        Format = "pg_dump-custom",
    };

    public BackupFailed Failed(DateTimeOffset at) => new()
    {
        RunId = RunId,
        Source = "demo",
        FailedAt = at,
        ErrorCode = "AuthenticationFailed",
        Reason = "PostgreSQL refused the credentials of source 'demo'.",
    };

    public BackupDelivered Delivered(DateTimeOffset at) =>
        new() { RunId = RunId, Source = "demo", DeliveredAt = at, RecipientCount = 2, Channel = "smtp" };

    public BackupDeliveryFailed DeliveryFailed(DateTimeOffset at) =>
        new() { RunId = RunId, Source = "demo", FailedAt = at, Reason = "SMTP server refused the message." };

    public BackupExpired Expired(DateTimeOffset at) => new()
    {
        RunId = RunId,
        Source = "demo",
        ExpiredAt = at,
        ArtifactKey = $"demo/2026/11/24/20261124T010000Z-{RunId:N}.dump",
        Reason = "age: completed 2026-11-24T01:05:00Z, older than 30 days",
    };

    /// <summary>
    /// What the catalog's sweeper does to a run past its timeout whose dump is not alive: it raises the saga's
    /// <see cref="RunTimedOut"/> at the clock's time (moved past the run's timeout first when it is not there yet).
    /// </summary>
    public async Task<BackupRun> TimeOut()
    {
        var open = await Load();
        Assert.NotNull(open);
        if (open.TimeoutAt > Clock.GetUtcNow()) Clock.SetUtcNow(open.TimeoutAt.Value);
        await Publish(TimedOut(Clock.GetUtcNow()));
        return await LoadIn(Machine.TimedOut);
    }

    public RunTimedOut TimedOut(DateTimeOffset at) => new() { RunId = RunId, At = at };

    /// <summary>The outbox rows the saga added so far, as (message type, payload).</summary>
    public (string Type, string Payload)[] Outbox() =>
        Timeline.ChangeTracker.Entries<OutboxMessage>().Select(e => (e.Entity.MessageType, e.Entity.Payload)).ToArray();

    public BackupFailed TimedOutFailure(DateTimeOffset at) => new()
    {
        RunId = RunId,
        Source = "demo",
        FailedAt = at,
        ErrorCode = BackupErrorCodes.TimedOut,
        Reason = "Backup run reported nothing for 02:00:00.",
    };

    public async ValueTask DisposeAsync()
    {
        await Timeline.DisposeAsync();
        await Harness.Stop();
        await provider.DisposeAsync();
    }
}
