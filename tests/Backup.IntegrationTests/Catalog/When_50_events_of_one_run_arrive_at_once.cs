using System.Collections.Concurrent;
using Backup.Database;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.IntegrationTests.Catalog;

/// <summary>
/// 50 events of one run published in a burst, in random order, with repeats (BackupRequested, three attempts'
/// BackupStarted, BackupCompleted, BackupDelivered, BackupDeliveryFailed), to three catalog instances competing on the
/// saga's queue, each handling several messages at once: they race to insert the run's row and to update it. The run
/// ends Delivered with its artifact and exactly three attempts, its timeline is one unbroken chain, and no message
/// failed even once (the insert race is an INSERT … ON CONFLICT DO NOTHING, never a caught error).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_50_events_of_one_run_arrive_at_once(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    readonly Guid runId = Guid.NewGuid();
    readonly ConsumeCounter counter = new();
    static readonly DateTimeOffset RequestedAt = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);
    static readonly DateTimeOffset[] AttemptStarts = [RequestedAt.AddSeconds(1), RequestedAt.AddMinutes(2), RequestedAt.AddMinutes(9)];
    BackupCompleted completed = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        var catalogs = new List<Microsoft.AspNetCore.Builder.WebApplication>();
        for (var i = 0; i < 3; i++) catalogs.Add(await system.StartCatalog());
        foreach (var catalog in catalogs) catalog.Services.GetRequiredService<IBus>().ConnectConsumeObserver(counter);

        completed = new BackupCompleted
        {
            RunId = runId, Source = "demo", StartedAt = AttemptStarts[2], CompletedAt = AttemptStarts[2].AddMinutes(3),
            ArtifactKey = $"demo/2026/11/24/20260000T020000Z-{runId:N}.dump.zst", SizeBytes = 4_321_000,
            Sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", Format = "pg_dump-custom+zstd",
        };
        var events = new List<object>();
        events.AddRange(Enumerable.Repeat<object>(new BackupRequested { RunId = runId, Source = "demo", RequestedAt = RequestedAt, RequestedBy = "scheduler" }, 8));
        foreach (var startedAt in AttemptStarts)
            events.AddRange(Enumerable.Repeat<object>(new BackupStarted { RunId = runId, Source = "demo", StartedAt = startedAt }, 5));
        events.AddRange(Enumerable.Repeat<object>(completed, 10));
        events.AddRange(Enumerable.Repeat<object>(new BackupDelivered
        {
            RunId = runId, Source = "demo", DeliveredAt = completed.CompletedAt.AddSeconds(20), RecipientCount = 2, Channel = "smtp",
        }, 10));
        events.AddRange(Enumerable.Repeat<object>(new BackupDeliveryFailed
        {
            RunId = runId, Source = "demo", FailedAt = completed.CompletedAt.AddSeconds(10), Reason = "SMTP server refused the message.",
        }, 7));
        Assert.Equal(50, events.Count);
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));

        await using (var rabbit = await RawRabbit.ConnectAsync(system))
            foreach (var e in events) await rabbit.PublishEventAsync(e);
        await Eventually.True(() => Task.FromResult(counter.Consumed(runId) >= 50), "the catalogs to have consumed all 50 events",
            TimeSpan.FromMinutes(2));
    }

    public Task DisposeAsync() => system.DisposeAsync().AsTask();

    [Fact]
    public async Task It_ends_Delivered_with_the_artifact_every_time_and_exactly_three_attempts()
    {
        var run = await system.RunAsync(runId);

        Assert.NotNull(run);
        Assert.Equal(BackupRunStates.Delivered, run.CurrentState);
        Assert.Equal((completed.ArtifactKey, completed.SizeBytes, completed.Sha256, completed.CompletedAt),
            (run.ArtifactKey, run.SizeBytes, run.Sha256, run.CompletedAt));
        Assert.Equal((RequestedAt, "scheduler", AttemptStarts[2]), (run.RequestedAt, run.RequestedBy, run.StartedAt));
        Assert.Equal(completed.CompletedAt.AddSeconds(20), run.DeliveredAt);
        Assert.Equal(3, run.Attempts);
        Assert.Equal(AttemptStarts, run.AttemptStarts.Order());
        Assert.Null(run.DeliveryError);
        Assert.Null(run.FailureCode);
        Assert.Null(run.TimeoutAt);
    }

    [Fact]
    public void It_consumes_each_event_once_and_none_fails_even_once()
    {
        Assert.Equal(50, counter.Consumed(runId));
        Assert.Equal(0, counter.Faulted(runId));
    }

    [Fact]
    public async Task It_keeps_a_timeline_that_is_one_unbroken_chain_ending_Delivered()
    {
        await using var catalog = system.Catalog();
        var transitions = await catalog.BackupRunTransitions.Where(t => t.RunId == runId).OrderBy(t => t.Id).ToListAsync();

        Assert.NotEmpty(transitions);
        Assert.Null(transitions[0].FromState);
        for (var i = 1; i < transitions.Count; i++)
            Assert.Equal(transitions[i - 1].ToState, transitions[i].FromState);
        Assert.All(transitions, t => Assert.NotEqual(t.FromState, t.ToState));
        Assert.Equal(BackupRunStates.Delivered, transitions[^1].ToState);
        Assert.Equal(transitions.Count, transitions.Select(t => t.ToState).Distinct().Count());
    }

    sealed class ConsumeCounter : IConsumeObserver
    {
        readonly ConcurrentDictionary<Guid, int> consumed = new();
        readonly ConcurrentDictionary<Guid, int> faulted = new();

        public int Consumed(Guid runId) => consumed.GetValueOrDefault(runId);
        public int Faulted(Guid runId) => faulted.GetValueOrDefault(runId);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (RunIdOf(context.Message) is { } runId) consumed.AddOrUpdate(runId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
        {
            if (RunIdOf(context.Message) is { } runId) faulted.AddOrUpdate(runId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        static Guid? RunIdOf(object message) => message switch
        {
            BackupRequested m => m.RunId,
            BackupStarted m => m.RunId,
            BackupCompleted m => m.RunId,
            BackupDelivered m => m.RunId,
            BackupDeliveryFailed m => m.RunId,
            _ => null,
        };
    }
}
