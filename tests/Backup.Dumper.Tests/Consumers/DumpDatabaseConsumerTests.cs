using Backup.Testing;
using System.Text.Json;
using Backup.Contracts;
using Backup.Database.Jobs;
using Backup.Dumper.Consumers;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Backup.Dumper.Tests.Consumers;

/// <summary>
/// The dump consumer with its definition, as AddDumper registers them, on MassTransit's in-memory harness (a fresh
/// one per scenario), its jobs in a real catalog database (<see cref="TestCatalog"/>). No job worker runs: what the
/// consumer stored is what the tests read.
/// </summary>
sealed class DumperConsumerUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    readonly IHost host;

    DumperConsumerUnderTest(IHost host, TestCatalog catalog)
    {
        this.host = host;
        Catalog = catalog;
        Harness = host.Services.GetRequiredService<ITestHarness>();
        Jobs = host.Services.GetRequiredService<JobQueue>();
    }

    public TestCatalog Catalog { get; }

    public ITestHarness Harness { get; }

    public JobQueue Jobs { get; }

    public static async Task<DumperConsumerUnderTest> StartAsync()
    {
        var catalog = await TestCatalog.CreateAsync("dumper_tests");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var clock = new FakeTimeProvider(Now);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.Configure<SourcesOptions>(sources => sources["demo"] = new SourceOptions
        {
            Host = "db.internal", Database = "demo_app", Username = "backup",
        });
        builder.Services.AddSingleton(new JobQueue(NpgsqlDataSource.Create(catalog.ConnectionString), clock));
        builder.Services.AddMassTransitTestHarness(bus =>
        {
            // A consumer's database round trip on two busy cores can outlast the default second of inactivity.
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(10));
            bus.AddConsumer<DumpDatabaseConsumer, DumpDatabaseConsumerDefinition>();
        });
        var host = builder.Build();
        await host.StartAsync();
        return new DumperConsumerUnderTest(host, catalog);
    }

    public static BackupRequested Request(string source = "demo") => new()
    {
        RunId = Guid.NewGuid(),
        Source = source,
        RequestedAt = Now,
        RequestedBy = "test",
    };

    /// <summary>Publishes <paramref name="request"/> and waits until the consumer has handled it <paramref name="times"/> times in all, without a fault.</summary>
    public async Task ConsumeAsync(BackupRequested request, int times = 1)
    {
        await Harness.Bus.Publish(request);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var handled = 0;
        await foreach (var message in Harness.GetConsumerHarness<DumpDatabaseConsumer>().Consumed.SelectAsync<BackupRequested>(
                           message => message.Context.Message.RunId == request.RunId, deadline.Token))
        {
            Assert.Null(message.Exception);
            if (++handled == times) return;
        }
        Assert.Fail($"the consumer handled the request {handled} of {times} times");
    }

    /// <summary>What the consumer published so far.</summary>
    public List<T> Published<T>() where T : class =>
        Harness.Published.Select<T>(new CancellationToken(canceled: true)).Select(message => message.Context.Message).ToList();

    /// <summary>Whether the dump worker of this process was woken (and takes the wake-up).</summary>
    public async Task<bool> DumpWorkerWokenAsync()
    {
        using var now = new CancellationTokenSource();
        var woken = Jobs.WakeUpFor(DumpDatabaseJob.Kind).WaitAsync(now.Token);
        await now.CancelAsync();
        return await woken;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await Catalog.DisposeAsync();
    }
}

public sealed class When_a_backup_is_requested : IAsyncLifetime
{
    DumperConsumerUnderTest dumper = null!;
    readonly BackupRequested request = DumperConsumerUnderTest.Request();

    public async Task InitializeAsync()
    {
        dumper = await DumperConsumerUnderTest.StartAsync();
        await dumper.ConsumeAsync(request);
    }

    public async Task DisposeAsync() => await dumper.DisposeAsync();

    [Fact]
    public async Task It_stores_one_dump_job_keyed_by_the_run_id()
    {
        var (kind, key, group, state, payload) = Assert.Single(await dumper.Catalog.JobsAsync());
        Assert.Equal("dump", kind);
        Assert.Equal(request.RunId.ToString("N"), key);
        Assert.Equal("demo", group); // one dump of a source at a time
        Assert.Equal(JobStates.Queued, state);
        var stored = JsonSerializer.Deserialize<BackupRequested>(payload, JsonSerializerOptions.Web)!;
        Assert.Equal((request.RunId, request.Source, request.RequestedAt, request.RequestedBy),
            (stored.RunId, stored.Source, stored.RequestedAt, stored.RequestedBy));
    }

    [Fact]
    public async Task It_wakes_the_dump_worker()
    {
        Assert.True(await dumper.DumpWorkerWokenAsync());
    }

    [Fact]
    public void It_publishes_nothing_yet()
    {
        Assert.Empty(dumper.Published<BackupFailed>());
        Assert.Empty(dumper.Published<BackupStarted>()); // the job does, when a worker runs it
    }
}

public sealed class When_a_backup_request_is_delivered_twice : IAsyncLifetime
{
    DumperConsumerUnderTest dumper = null!;
    readonly BackupRequested request = DumperConsumerUnderTest.Request();

    public async Task InitializeAsync()
    {
        dumper = await DumperConsumerUnderTest.StartAsync();
        await dumper.ConsumeAsync(request);
        Assert.True(await dumper.DumpWorkerWokenAsync());
        await dumper.ConsumeAsync(request, times: 2);
    }

    public async Task DisposeAsync() => await dumper.DisposeAsync();

    [Fact]
    public async Task It_is_one_job()
    {
        var job = Assert.Single(await dumper.Catalog.JobsAsync());
        Assert.Equal(request.RunId.ToString("N"), job.Key);
    }

    [Fact]
    public async Task It_wakes_the_worker_only_for_the_first()
    {
        Assert.False(await dumper.DumpWorkerWokenAsync());
    }
}

public sealed class When_the_source_is_not_configured : IAsyncLifetime
{
    DumperConsumerUnderTest dumper = null!;

    public async Task InitializeAsync() => dumper = await DumperConsumerUnderTest.StartAsync();

    public async Task DisposeAsync() => await dumper.DisposeAsync();

    [Theory]
    [InlineData("crm")]
    [InlineData("../demo")]
    public async Task It_publishes_BackupFailed_UnknownSource_and_stores_no_job(string source)
    {
        var request = DumperConsumerUnderTest.Request(source);
        await dumper.ConsumeAsync(request);

        var failed = Assert.Single(dumper.Published<BackupFailed>());
        Assert.Equal(request.RunId, failed.RunId);
        Assert.Equal(BackupErrorCodes.UnknownSource, failed.ErrorCode);
        Assert.Equal(source, failed.Source);
        Assert.Contains("Configured sources: demo.", failed.Reason);
        Assert.Equal(DumperConsumerUnderTest.Now, failed.FailedAt);
        Assert.Empty(await dumper.Catalog.JobsAsync());
        Assert.False(await dumper.DumpWorkerWokenAsync());
    }
}

/// <summary>
/// Finished dump jobs are purged after Jobs:KeepFinishedFor: a request delivered again after that finds no job, but the
/// catalog's run still says the dump is over, and that is enough to make it a no-op.
/// </summary>
public sealed class When_a_request_of_an_ended_run_is_replayed_after_its_job_was_purged : IAsyncLifetime
{
    DumperConsumerUnderTest dumper = null!;

    public async Task InitializeAsync() => dumper = await DumperConsumerUnderTest.StartAsync();

    public async Task DisposeAsync() => await dumper.DisposeAsync();

    [Theory]
    [InlineData("Completed")]
    [InlineData("Delivered")]
    [InlineData("Expired")]
    [InlineData("Failed")]
    public async Task It_stores_no_job_and_publishes_nothing(string state)
    {
        var request = DumperConsumerUnderTest.Request();
        await dumper.Catalog.RecordRunAsync(request.RunId, state);

        await dumper.ConsumeAsync(request);

        Assert.Empty(await dumper.Catalog.JobsAsync());
        Assert.False(await dumper.DumpWorkerWokenAsync());
        Assert.Empty(dumper.Published<BackupFailed>());
    }

    [Fact]
    public async Task A_replay_whose_source_is_no_longer_configured_publishes_no_failure_either()
    {
        var request = DumperConsumerUnderTest.Request("crm");
        await dumper.Catalog.RecordRunAsync(request.RunId, "Completed");

        await dumper.ConsumeAsync(request);

        Assert.Empty(dumper.Published<BackupFailed>());
    }

    [Theory]
    [InlineData("Requested")] // the catalog opens the run on the same request, possibly before the dumper sees it
    [InlineData("Running")]
    [InlineData("TimedOut")] // the catalog's verdict, not the dumper's: a late dump still makes the run's artifact
    public async Task A_run_the_dumper_has_not_ended_is_still_dumped(string state)
    {
        var request = DumperConsumerUnderTest.Request();
        await dumper.Catalog.RecordRunAsync(request.RunId, state);

        await dumper.ConsumeAsync(request);

        var job = Assert.Single(await dumper.Catalog.JobsAsync());
        Assert.Equal(request.RunId.ToString("N"), job.Key);
    }
}
