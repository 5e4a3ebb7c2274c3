using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.IntegrationTests.Cluster;

/// <summary>
/// A three-node RabbitMQ cluster of the test's own (deploy/local/infra.sh cluster-up); the catalog, the dumper and the
/// restorer name all three nodes (RabbitMq:Hosts, node 2 first, so they connect there, where the migrator declared
/// the queues). A dump is held by a lock on a source table and a restore by a lock on a table it is loading; node 2 is
/// stopped while both are held, then the locks are released. The services reconnect to another node, and the backup
/// and the restore each complete once: one run row Completed, one artifact, one BackupCompleted, one RestoreCompleted
/// with the manifest's row counts, nothing in an _error or _skipped queue.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_broker_node_stops_mid_backup_and_mid_restore(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const int StoppedNode = 2;
    const string Documents = "public.documents";
    static readonly string[] Services = ["backup-catalog", "backup-dumper", "backup-restorer"];

    readonly Guid firstRun = Guid.NewGuid(), heldRun = Guid.NewGuid(), heldRestore = Guid.NewGuid();
    BrokerCluster? cluster;
    BackupSystem? system;
    RawRabbit? rabbit;
    ConcurrentQueue<JsonElement> completions = null!, failures = null!;
    RestoreOutcomes restores = null!;
    string restoredDatabase = "";
    readonly Dictionary<string, HashSet<string>> nodesBeforeTheStop = [];

    BackupSystem System => system!;

    public async Task InitializeAsync()
    {
        cluster = await BrokerCluster.StartAsync(StoppedNode, 3, 1);
        system = await BackupSystem.CreateAsync(infrastructure, broker: cluster.Broker);
        await AddDocumentsToTheSourceAsync();
        await System.StartCatalog();
        await System.StartDumper();
        await System.StartRestorer();
        rabbit = await RawRabbit.ConnectAsync(System); // node 1, which stays up
        completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");
        failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
        restores = await RestoreOutcomes.ListenAsync(rabbit);

        await rabbit.RequestBackupAsync(firstRun, "demo");
        var artifactKey = (await System.WaitForStateAsync(firstRun, BackupRunStates.Completed)).ArtifactKey!;

        await using (var dumpHeld = await HoldTheSourceAsync())
        {
            await rabbit.RequestBackupAsync(heldRun, "demo");
            await WaitUntilBlockedAsync(System.SourceDatabase, dumpHeld, "pg_dump to wait for the source's table");

            restoredDatabase = System.NewDatabaseName();
            await rabbit.RequestRestoreAsync(heldRestore, artifactKey, restoredDatabase);
            await using var restoreHeld = await HoldTheRestoreAsync();
            await WaitUntilBlockedAsync(restoredDatabase, restoreHeld, "pg_restore to wait for the restored documents table");

            foreach (var service in Services)
                nodesBeforeTheStop[service] = await Eventually.Get(async () =>
                    await cluster.NodesOfConnectionsAsync(System.VirtualHost, service) is { Count: > 0 } nodes ? nodes : null,
                    $"the management API to list {service}'s connection");
            await cluster.StopNodeAsync(StoppedNode);
        }

        await System.WaitForStateAsync(heldRun, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        await restores.WaitAsync(heldRestore);
    }

    public async Task DisposeAsync()
    {
        if (rabbit is not null) await rabbit.DisposeAsync();
        try
        {
            if (system is not null) await system.DisposeAsync();
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
        }
    }

    // One fact: the scenario (a cluster of its own, held work, a node stopped) runs once per fact.
    [Fact]
    public async Task The_backup_and_the_restore_each_complete_once_and_no_message_is_left_in_an_error_queue()
    {
        foreach (var service in Services)
            Assert.Equal([cluster!.NodeName(StoppedNode)], nodesBeforeTheStop[service]);
        await TheBackupCompletedOnceWithOneArtifactAndOneBackupCompletedAsync();
        await TheRestoreCompletedOnceWithTheManifestsRowCountsAsync();
        await NoMessageIsLeftInAnErrorOrSkippedQueueAsync();
    }

    async Task TheBackupCompletedOnceWithOneArtifactAndOneBackupCompletedAsync()
    {
        var run = (await System.RunAsync(heldRun))!;
        Assert.Equal(BackupRunStates.Completed, run.CurrentState);
        await using (var catalog = System.Catalog())
        {
            Assert.Equal(1, await catalog.BackupRuns.CountAsync(r => r.CorrelationId == heldRun));
            Assert.Equal(1, (await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == JobKinds.Dump && j.Key == JobKinds.KeyOf(heldRun))).Attempts);
        }

        var completed = Assert.Single(completions, m => m.GetProperty("runId").GetGuid() == heldRun);
        Assert.Equal(run.ArtifactKey, completed.GetProperty("artifactKey").GetString());
        Assert.DoesNotContain(failures, m => m.GetProperty("runId").GetGuid() == heldRun);

        var store = Store();
        var artifacts = await store.ListAsync(CancellationToken.None).ToListAsync();
        Assert.Equal(2, artifacts.Count); // the first run's and the held run's
        var manifest = (await store.ReadManifestAsync(Assert.Single(artifacts, a => a.Value == run.ArtifactKey), CancellationToken.None))!;
        Assert.Equal(heldRun, manifest.RunId);
        Assert.Equal(run.Sha256, manifest.Sha256);
    }

    async Task TheRestoreCompletedOnceWithTheManifestsRowCountsAsync()
    {
        var outcome = await restores.WaitAsync(heldRestore);
        Assert.True(outcome.Completed, outcome.ToString());
        var manifest = (await Store().ReadManifestAsync(ArtifactKey.Parse(outcome.Message.GetProperty("artifactKey").GetString()!), CancellationToken.None))!;
        Assert.Equal(firstRun, manifest.RunId);
        Assert.Contains(manifest.Tables, table => $"{table.Schema}.{table.Name}" == Documents && table.Rows > 0);
        foreach (var table in manifest.Tables)
            Assert.Equal(table.Rows, await System.Postgres.ScalarAsync<long>(restoredDatabase, $"SELECT count(*) FROM {table.Schema}.{table.Name}"));
        foreach (var table in outcome.Message.GetProperty("tables").EnumerateArray())
        {
            var expected = Assert.Single(manifest.Tables, t => t.Schema == table.GetProperty("schema").GetString() && t.Name == table.GetProperty("name").GetString());
            Assert.Equal(expected.Rows, table.GetProperty("restoredRows").GetInt64());
        }

        await using var catalog = System.Catalog();
        Assert.Equal(1, (await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == JobKinds.Restore && j.Key == JobKinds.KeyOf(heldRestore))).Attempts);
    }

    async Task NoMessageIsLeftInAnErrorOrSkippedQueueAsync()
    {
        var depths = await System.Broker.QueueDepthsAsync(System.VirtualHost);
        Assert.NotEmpty(depths); // the services' queues are listed
        Assert.All(depths.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) || q.Key.EndsWith("_skipped", StringComparison.Ordinal)),
            q => Assert.Equal(0, q.Value));
    }

    FileSystemArtifactStore Store() =>
        new(Options.Create(new StorageOptions { Root = System.StoreRoot }), TimeProvider.System);

    // About 30 MB of barely compressible text in a table with a primary key: the restore spends a while loading it, and
    // adds the key only after every table's data is in.
    async Task AddDocumentsToTheSourceAsync() =>
        await System.Postgres.ExecuteAsync(System.SourceDatabase, $"""
            CREATE TABLE {Documents} (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO {Documents} SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 4) FROM generate_series(1, 200000) g;
            ALTER TABLE {Documents} OWNER TO "{System.SourceRole}";
            """);

    // The source's customers table locked (ACCESS EXCLUSIVE) until the transaction ends: pg_dump waits for it mid-dump.
    async Task<NpgsqlConnection> HoldTheSourceAsync()
    {
        var connection = new NpgsqlConnection(System.Postgres.ConnectionString(System.SourceDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    // As soon as the restore has created the documents table, a share lock on it: pg_restore loads the data, then waits
    // to add the table's primary key (ACCESS EXCLUSIVE) until the transaction ends; RestoreCompleted comes after that.
    async Task<NpgsqlConnection> HoldTheRestoreAsync() =>
        await Eventually.Get(async () =>
        {
            var connection = new NpgsqlConnection(System.Postgres.ConnectionString(restoredDatabase));
            try
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    $"BEGIN; SELECT to_regclass('{Documents}') IS NOT NULL", connection);
                if (await command.ExecuteScalarAsync() is true)
                {
                    await using var share = new NpgsqlCommand($"LOCK TABLE {Documents} IN ACCESS SHARE MODE", connection);
                    await share.ExecuteNonQueryAsync();
                    return connection;
                }
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName) { } // not created yet
            await connection.DisposeAsync();
            return null;
        }, "the restore to create the documents table", TimeSpan.FromMinutes(1));

    // Waits until a session of another process waits for the lock <paramref name="holder"/> holds.
    async Task WaitUntilBlockedAsync(string database, NpgsqlConnection holder, string what) =>
        await Eventually.True(async () => await System.Postgres.ScalarAsync<bool>(database,
            $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE {holder.ProcessID} = ANY(pg_blocking_pids(pid)))"), what);
}
