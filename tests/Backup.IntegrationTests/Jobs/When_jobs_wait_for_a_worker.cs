using System.Diagnostics.Metrics;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.IntegrationTests.Jobs;

/// <summary>
/// backup.jobs.oldest_waiting_age on a real catalog database: a worker of concurrency 1 busy with one job leaves the
/// next one waiting, and the gauge of that kind grows with the wait; once the worker is free and has claimed it, the
/// gauge is 0 again. (The alert JobsWaitingTooLong reads it.)
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_jobs_wait_for_a_worker(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string Kind = "waiting-test";
    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public async Task The_oldest_waiting_job_s_age_is_measured_until_a_worker_takes_it()
    {
        var handler = new BlockingHandler();
        var services = new ServiceCollection().AddSingleton(handler).AddMetrics();
        await using var provider = services.BuildServiceProvider();
        await using var queue = new JobQueue(NpgsqlDataSource.Create(system.CatalogConnectionString), TimeProvider.System);
        using var gauge = new JobWaitGauge(provider, Kind);
        var worker = new JobWorker<BlockingHandler>(new JobWorkerSettings(Kind, Concurrency: 1, MaxAttempts: 2), queue,
            provider.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new JobOptions { PollInterval = TimeSpan.FromMilliseconds(200) }),
            TimeProvider.System, NullLogger<JobWorker<BlockingHandler>>.Instance,
            Options.Create(new Backup.Database.Outages.CatalogOutageOptions()), gauge.Metrics);

        await queue.EnqueueAsync(Kind, "first", null, """{"n":1}""", null, CancellationToken.None);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Eventually.True(() => Task.FromResult(gauge.Read() == 0), "the gauge to say 0 while nothing waits");

            await queue.EnqueueAsync(Kind, "second", null, """{"n":2}""", null, CancellationToken.None);
            await Eventually.True(() => Task.FromResult(gauge.Read() >= 2), "the gauge to show the second job waiting for 2 s and more");

            handler.Release.TrySetResult();
            await Eventually.True(() => Task.FromResult(handler.Runs == 2 && gauge.Read() == 0), "the second job claimed and the gauge at 0 again");
        }
        finally
        {
            handler.Release.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    sealed class BlockingHandler : IJobHandler
    {
        int runs;
        public int Runs => runs;
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref runs);
            Started.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return JobOutcome.Done;
        }

        public Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>A <see cref="JobWaitMetrics"/> on a test meter, and a listener reading its gauge for one kind.</summary>
public sealed class JobWaitGauge : IDisposable
{
    readonly MeterListener listener = new();
    readonly string kind;
    double? last;

    public JobWaitGauge(IServiceProvider services, string kind)
    {
        this.kind = kind;
        Metrics = Create(services, TimeProvider.System);
        var factory = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == JobWaitMetrics.OldestWaitingAgeName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "backup.job_kind" && Equals(tag.Value, this.kind)) last = value;
        });
        listener.Start();
    }

    public JobWaitMetrics Metrics { get; }

    public static JobWaitMetrics Create(IServiceProvider services, TimeProvider clock) =>
        new(services.GetRequiredService<IMeterFactory>(), new HostingEnvironment { ApplicationName = "Backup.Tests" }, clock);

    /// <summary>The gauge's value for the kind now, as a scrape reads it; null before the worker has looked.</summary>
    public double? Read()
    {
        last = null;
        listener.RecordObservableInstruments();
        return last;
    }

    public void Dispose() => listener.Dispose();
}
