using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// RabbitMQ closes the channel of a consumer that holds a delivery longer than consumer_timeout (30 minutes by
/// default) and hands the message to another consumer. Here the timeout is cut to 2 seconds and the dump is held
/// up (the test keeps an ACCESS EXCLUSIVE lock on a table it must read) until the broker has demonstrably timed out
/// a consumer that got its message after the dumper got the request. The request was acknowledged when its dump
/// job was stored, so the dump is neither redelivered nor run twice: one BackupStarted, one BackupCompleted, one
/// artifact, one attempt. The consumer that is timed out holds its message on a connection of its own, apart from the
/// test's listeners.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_dump_outlasts_the_consumer_timeout(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const int ConsumerTimeoutMs = 2000;
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    ConcurrentQueue<JsonElement> started = null!, completed = null!, failed = null!;
    ushort brokerClosedTheHolderWith;
    int attemptsWhileHeldUp;
    string stateWhileHeldUp = "";
    long queueDepthWhileHeldUp = -1;

    public async Task InitializeAsync()
    {
        // Channels opened from here on get the short timeout, checked twice a second; put back in DisposeAsync.
        await infrastructure.SetBrokerTimingAsync("consumer_timeout", ConsumerTimeoutMs);
        await infrastructure.SetBrokerTimingAsync("channel_tick_interval", 500);

        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
        started = await rabbit.ListenAsync("Backup.Contracts:BackupStarted");
        completed = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");
        failed = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
        await system.StartDumper(settings =>
        {
            settings["Jobs:HeartbeatInterval"] = "00:00:00.500";
            settings["Jobs:StaleAfter"] = "00:00:03";
        });

        await using var blocker = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase));
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", blocker, hold))
            await lockTable.ExecuteNonQueryAsync();

        await rabbit.RequestBackupAsync(runId, "demo");
        await Eventually.True(async () => !started.IsEmpty && await JobAsync() is { State: "running" },
            "the dump job to be running (and waiting for the table lock)");

        var closedByBroker = await rabbit.HoldOneMessageUnacknowledgedAsync();
        brokerClosedTheHolderWith = await closedByBroker.WaitAsync(TimeSpan.FromMinutes(2));

        // Still held up, past the broker's timeout: look at the job and the queue before letting the dump go on.
        var job = await JobAsync();
        (stateWhileHeldUp, attemptsWhileHeldUp) = (job!.State, job.Attempts);
        queueDepthWhileHeldUp = await system.Broker.QueueDepthAsync(system.VirtualHost, "dump-database");
        await hold.RollbackAsync();

        await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await Eventually.True(async () => await JobAsync() is { State: "finished" }, "the dump job to be finished");
        // The catalog's queue and this test's own are separate: the event may reach the catalog first.
        try
        {
            await Eventually.True(() => Task.FromResult(completed.Any(m => m.GetProperty("runId").GetGuid() == runId)),
                "the run's BackupCompleted to reach the test's own queue");
        }
        catch (TimeoutException late)
        {
            throw new TimeoutException($"{late.Message} The catalog has it as Completed; {rabbit.Describe()}; " +
                $"the test's queues heard {started.Count} BackupStarted, {completed.Count} BackupCompleted, {failed.Count} BackupFailed.", late);
        }
    }

    public async Task DisposeAsync()
    {
        await infrastructure.SetBrokerTimingAsync("consumer_timeout", 1_800_000);
        await infrastructure.SetBrokerTimingAsync("channel_tick_interval", 60_000);
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    async Task<Backup.Database.Jobs.Job?> JobAsync()
    {
        await using var catalog = system.Catalog();
        return await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Kind == "dump" && j.Key == runId.ToString("N"));
    }

    [Fact]
    public void The_broker_timed_out_a_consumer_that_held_its_message_for_less_time_than_the_dump()
    {
        Assert.Equal(406, brokerClosedTheHolderWith); // PRECONDITION_FAILED: delivery acknowledgement timed out
    }

    [Fact]
    public void While_held_up_past_the_timeout_the_request_was_already_acknowledged_and_the_dump_on_its_first_attempt()
    {
        Assert.Equal(0, queueDepthWhileHeldUp);
        Assert.Equal("running", stateWhileHeldUp);
        Assert.Equal(1, attemptsWhileHeldUp);
    }

    [Fact]
    public async Task The_run_completed_once_with_one_whole_artifact()
    {
        Assert.Single(started, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.Single(completed, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.DoesNotContain(failed, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.Equal(1, (await JobAsync())!.Attempts);

        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var key = Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
        var manifest = await store.ReadManifestAsync(key, CancellationToken.None);
        Assert.Equal(runId, manifest!.RunId);
        await using var artifact = await store.OpenReadAsync(key, CancellationToken.None);
        Assert.Equal(manifest.Sha256, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(artifact)));
        var customers = await system.Postgres.ScalarAsync<long>(system.SourceDatabase, "SELECT count(*) FROM public.customers");
        Assert.Contains(manifest.Tables, t => t.Name == "customers" && t.Rows == customers);
    }
}
