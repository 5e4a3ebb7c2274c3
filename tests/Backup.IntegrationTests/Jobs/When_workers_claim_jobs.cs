using System.Collections.Concurrent;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Backup.IntegrationTests.Jobs;

/// <summary>
/// The jobs table on a real, migrated catalog database, with two workers (two JobQueue holders, as two processes
/// would be) and a moved clock: a job is stored once per key, claimed by exactly one worker, taken over only when
/// its claim has gone stale, and a worker that lost its claim can't settle the job; a retry waits for its time.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_workers_claim_jobs(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);
    readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
    BackupSystem system = null!;
    JobQueue first = null!, second = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        first = new JobQueue(NpgsqlDataSource.Create(system.CatalogConnectionString), clock);
        second = new JobQueue(NpgsqlDataSource.Create(system.CatalogConnectionString), clock);
    }

    public async Task DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
        await system.DisposeAsync();
    }

    Task<bool> Enqueue(JobQueue queue, string key, string? group = null) =>
        queue.EnqueueAsync("test", key, group, """{"n":1}""", null, CancellationToken.None);

    [Fact]
    public async Task A_request_delivered_twice_is_one_job()
    {
        Assert.True(await Enqueue(first, "run-1"));
        Assert.False(await Enqueue(second, "run-1"));

        Assert.NotNull(await first.ClaimAsync("test", StaleAfter, CancellationToken.None));
        Assert.Null(await second.ClaimAsync("test", StaleAfter, CancellationToken.None));
    }

    [Fact]
    public async Task Two_workers_claiming_at_once_each_get_different_jobs_and_together_all_of_them()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"run-{i}").ToList();
        foreach (var key in keys) await Enqueue(first, key);

        var claimed = new ConcurrentBag<(string Holder, string Key)>();
        await Task.WhenAll(new[] { first, second }.Select(queue => Task.Run(async () =>
        {
            while (await queue.ClaimAsync("test", StaleAfter, CancellationToken.None) is { } job)
                claimed.Add((job.Holder, job.Key));
        })));

        Assert.Equal(keys.Order(), claimed.Select(c => c.Key).Order());
        Assert.Contains(claimed, c => c.Holder == first.Holder);
        Assert.Contains(claimed, c => c.Holder == second.Holder);
    }

    [Fact]
    public async Task Jobs_of_one_group_run_one_at_a_time_in_order_and_other_groups_are_not_held_up()
    {
        await Enqueue(first, "demo-1", "demo");
        clock.Advance(TimeSpan.FromSeconds(1));
        await Enqueue(first, "demo-2", "demo");
        clock.Advance(TimeSpan.FromSeconds(1));
        await Enqueue(first, "billing-1", "billing");

        var running = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        Assert.Equal("demo-1", running.Key);
        Assert.Equal("billing-1", (await second.ClaimAsync("test", StaleAfter, CancellationToken.None))!.Key); // demo-2 waits
        Assert.Null(await second.ClaimAsync("test", StaleAfter, CancellationToken.None));

        await first.FinishAsync(running, null, CancellationToken.None);
        Assert.Equal("demo-2", (await second.ClaimAsync("test", StaleAfter, CancellationToken.None))!.Key);
    }

    [Fact]
    public async Task A_running_job_is_taken_over_only_when_its_claim_has_gone_stale_and_the_old_holder_can_no_longer_settle_it()
    {
        await Enqueue(first, "run-1");
        var mine = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        Assert.Equal(1, mine.Attempts);

        clock.Advance(StaleAfter - TimeSpan.FromSeconds(1));
        Assert.Null(await second.ClaimAsync("test", StaleAfter, CancellationToken.None)); // still fresh
        Assert.True(await first.HeartbeatAsync(mine, CancellationToken.None));

        clock.Advance(StaleAfter + TimeSpan.FromSeconds(1)); // the first worker stopped renewing: it died or hung
        var theirs = await second.ClaimAsync("test", StaleAfter, CancellationToken.None);
        Assert.NotNull(theirs);
        Assert.Equal(2, theirs.Attempts);

        Assert.False(await first.HeartbeatAsync(mine, CancellationToken.None));
        Assert.False(await first.FinishAsync(mine, "late", CancellationToken.None));
        Assert.False(await first.RetryLaterAsync(mine, TimeSpan.Zero, "late", CancellationToken.None));
        Assert.True(await second.FinishAsync(theirs, null, CancellationToken.None));
        Assert.Null(await first.ClaimAsync("test", StaleAfter, CancellationToken.None));
    }

    [Fact]
    public async Task A_takeover_in_the_same_process_fences_the_old_attempt_by_the_claims_generation()
    {
        await Enqueue(first, "run-1");
        var stale = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        clock.Advance(StaleAfter + TimeSpan.FromSeconds(1)); // that attempt hung; this same process takes the job over
        var fresh = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;

        Assert.Equal(stale.Holder, fresh.Holder); // the holder's name can't tell them apart; the generation does
        Assert.Equal(stale.Generation + 1, fresh.Generation);
        await Assert.ThrowsAsync<ClaimLostException>(() => first.ConfirmClaimAsync(stale, CancellationToken.None));
        Assert.False(await first.HeartbeatAsync(stale, CancellationToken.None));
        Assert.False(await first.FinishAsync(stale, "late", CancellationToken.None));
        await first.ConfirmClaimAsync(fresh, CancellationToken.None);
        Assert.True(await first.FinishAsync(fresh, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_retry_waits_in_the_table_until_its_time_and_a_release_at_shutdown_does_not_count_as_an_attempt()
    {
        await Enqueue(first, "run-1");
        var job = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        Assert.True(await first.RetryLaterAsync(job, TimeSpan.FromSeconds(30), "ConnectionFailed: refused", CancellationToken.None));

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(await second.ClaimAsync("test", StaleAfter, CancellationToken.None));
        clock.Advance(TimeSpan.FromSeconds(2));
        var retried = (await second.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        Assert.Equal(2, retried.Attempts);

        Assert.True(await second.ReleaseAsync(retried, CancellationToken.None));
        var resumed = (await first.ClaimAsync("test", StaleAfter, CancellationToken.None))!;
        Assert.Equal(2, resumed.Attempts);
    }

    [Fact]
    public async Task A_job_that_keeps_failing_is_given_up_and_reported_once()
    {
        var services = new ServiceCollection();
        var handler = new AlwaysThrowingHandler();
        services.AddSingleton(handler);
        services.AddMetrics();
        await using var provider = services.BuildServiceProvider();
        await using var queue = new JobQueue(NpgsqlDataSource.Create(system.CatalogConnectionString), TimeProvider.System);
        var worker = new JobWorker<AlwaysThrowingHandler>(new JobWorkerSettings("throwing", Concurrency: 1, MaxAttempts: 2), queue,
            provider.GetRequiredService<IServiceScopeFactory>(),
            Microsoft.Extensions.Options.Options.Create(new JobOptions { PollInterval = TimeSpan.FromMilliseconds(100) }),
            TimeProvider.System, NullLogger<JobWorker<AlwaysThrowingHandler>>.Instance,
            Microsoft.Extensions.Options.Options.Create(new Backup.Database.Outages.CatalogOutageOptions()),
            JobWaitGauge.Create(provider, TimeProvider.System));
        await queue.EnqueueAsync("throwing", "run-1", null, """{"n":1}""", null, CancellationToken.None);

        await worker.StartAsync(CancellationToken.None);
        var reason = await handler.GaveUp.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal(2, handler.Runs);
        Assert.Contains("started 2 times without finishing", reason);
        Assert.Equal("finished", await system.Postgres.ScalarAsync<string>(system.CatalogDatabase, "SELECT state FROM jobs WHERE kind = 'throwing'"));
    }

    sealed class AlwaysThrowingHandler : IJobHandler
    {
        int runs;
        public int Runs => runs;
        public TaskCompletionSource<string> GaveUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("broken on purpose");
        }

        public Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
        {
            GaveUp.TrySetResult(reason);
            return Task.CompletedTask;
        }
    }
}
