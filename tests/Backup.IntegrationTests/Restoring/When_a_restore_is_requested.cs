using System.Globalization;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Restorer.Restoring;
using Backup.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Restoring;

/// <summary>
/// Restore by event on the real broker and database: a backup of the demo source is made by the dumper, then a
/// platform service publishes RestoreRequested as plain JSON and listens for RestoreCompleted or RestoreFailed. The
/// restorer verifies the artifact, restores it with the real pg_restore and counts the rows; every refusal comes
/// before a database is touched.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_restore_is_requested(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly string[] CriticalTables = ["billing.invoices", "public.customers", "public.orders"];

    // The restorer's clock names a default target; a random instant keeps that name this test's own.
    readonly FakeTimeProvider clock = new(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(Random.Shared.Next(0, 300_000_000)));
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    RestoreOutcomes outcomes = null!;
    string artifactKey = "";
    RecordedMetrics metrics = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        metrics = new RecordedMetrics(await system.StartRestorer(clock: clock));
        rabbit = await RawRabbit.ConnectAsync(system);
        outcomes = await RestoreOutcomes.ListenAsync(rabbit);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        artifactKey = (await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey!;
    }

    public async Task DisposeAsync()
    {
        metrics.Dispose();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    async Task<RestoreOutcome> RestoreAsync(string key, string? target, bool overwrite = false)
    {
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, key, target, overwrite);
        return await outcomes.WaitAsync(restoreId);
    }

    Task<long> SourceRowsAsync(string table) => system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {table}");

    Task<bool> DatabaseExistsAsync(string database) => system.Postgres.ScalarAsync<bool>("postgres",
        $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')");

    /// <summary>A table of the restorer's victim-to-be, so that a test can tell whether the database was touched.</summary>
    async Task AddMarkerAsync(string database) =>
        await system.Postgres.ExecuteAsync(database, "CREATE TABLE public.precious (id int); INSERT INTO public.precious VALUES (1), (2)");

    [Fact]
    public async Task It_publishes_RestoreCompleted_with_the_critical_tables_row_counts_and_the_database_has_those_rows()
    {
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(artifactKey, target);

        Assert.True(outcome.Completed, outcome.ToString());
        var message = outcome.Message;
        Assert.Equal(artifactKey, message.GetProperty("artifactKey").GetString());
        Assert.Equal("demo", message.GetProperty("source").GetString());
        Assert.Equal(target, message.GetProperty("targetDatabase").GetString());
        var tables = message.GetProperty("tables").EnumerateArray().ToList();
        Assert.Equal(CriticalTables, tables.Select(t => $"{t.GetProperty("schema").GetString()}.{t.GetProperty("name").GetString()}").Order());
        foreach (var table in tables)
        {
            var name = $"{table.GetProperty("schema").GetString()}.{table.GetProperty("name").GetString()}";
            var source = await SourceRowsAsync(name);
            Assert.True(source > 0, $"the source's {name} was seeded");
            Assert.Equal(source, table.GetProperty("expectedRows").GetInt64());
            Assert.Equal(source, table.GetProperty("restoredRows").GetInt64());
            Assert.Equal(source, await system.Postgres.ScalarAsync<long>(target, $"SELECT count(*) FROM {name}"));
            var fingerprint = $"SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM {name} t";
            Assert.Equal(await system.Postgres.ScalarAsync<string>(system.SourceDatabase, fingerprint),
                await system.Postgres.ScalarAsync<string>(target, fingerprint));
        }
        Assert.True(await system.Postgres.ScalarAsync<bool>(target, "SELECT to_regclass('public.audit_log') IS NULL"),
            "public.audit_log is left out of backups and must not be restored");

        var measured = Assert.Single(metrics.Of(RestorerMetrics.DurationName));
        Assert.Equal(("s", "demo", "completed", null), (measured.Unit, measured.Tag("backup.source"), measured.Tag("backup.outcome"), measured.Tag("backup.error_code")));
        Assert.True(measured.Value > 0);
    }

    [Fact]
    public async Task It_names_the_database_after_the_source_its_clock_and_the_restore_when_no_target_is_given()
    {
        var restoreId = Guid.NewGuid();
        var expected = system.DropAtEnd(string.Create(CultureInfo.InvariantCulture,
            $"demo_restore_{clock.GetUtcNow():yyyyMMddHHmmss}_{restoreId.ToString("N")[..6]}"));

        await rabbit.RequestRestoreAsync(restoreId, artifactKey, targetDatabase: null);
        var outcome = await outcomes.WaitAsync(restoreId);

        Assert.True(outcome.Completed, outcome.ToString());
        Assert.Equal(expected, outcome.Message.GetProperty("targetDatabase").GetString());
        Assert.Equal(await SourceRowsAsync("public.orders"), await system.Postgres.ScalarAsync<long>(expected, "SELECT count(*) FROM public.orders"));
    }

    [Fact]
    public async Task It_refuses_a_target_another_restore_is_filling_and_leaves_it_alone()
    {
        var target = system.NewDatabaseName();
        // Another restore (another restorer instance, or backupctl) holds the target: the lock every restore takes.
        await using var other = new Npgsql.NpgsqlConnection(system.Postgres.ConnectionString("postgres"));
        await other.OpenAsync();
        await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('backup-restore:' || $1, 0))", other))
        {
            take.Parameters.Add(new Npgsql.NpgsqlParameter { Value = target });
            await take.ExecuteNonQueryAsync();
        }

        var outcome = await RestoreAsync(artifactKey, target);

        Assert.Equal("TargetBusy", outcome.ErrorCode);
        Assert.Contains($"Another restore into database {target}", outcome.Reason);
        Assert.False(await DatabaseExistsAsync(target));

        await other.CloseAsync(); // the other restore ends: the same request now goes through
        Assert.True((await RestoreAsync(artifactKey, target)).Completed);
    }

    [Fact]
    public async Task It_refuses_an_existing_target_without_Overwrite_and_leaves_it_untouched()
    {
        var target = system.NewDatabaseName();
        Assert.True((await RestoreAsync(artifactKey, target)).Completed);
        await AddMarkerAsync(target);

        var outcome = await RestoreAsync(artifactKey, target);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("TargetExists", outcome.ErrorCode);
        Assert.Contains($"Database {target} already exists", outcome.Reason);
        Assert.Contains("Overwrite", outcome.Reason);
        Assert.Equal(2, await system.Postgres.ScalarAsync<long>(target, "SELECT count(*) FROM public.precious"));
        Assert.Equal(await SourceRowsAsync("public.orders"), await system.Postgres.ScalarAsync<long>(target, "SELECT count(*) FROM public.orders"));
    }

    [Fact]
    public async Task It_drops_and_recreates_a_target_it_restored_when_asked_to_Overwrite()
    {
        var target = system.NewDatabaseName();
        Assert.True((await RestoreAsync(artifactKey, target)).Completed);
        await AddMarkerAsync(target);

        var outcome = await RestoreAsync(artifactKey, target, overwrite: true);

        Assert.True(outcome.Completed, outcome.ToString());
        Assert.True(await system.Postgres.ScalarAsync<bool>(target, "SELECT to_regclass('public.precious') IS NULL"), "the old database was dropped");
        Assert.Equal(await SourceRowsAsync("public.orders"), await system.Postgres.ScalarAsync<long>(target, "SELECT count(*) FROM public.orders"));
    }

    [Fact]
    public async Task It_does_not_overwrite_a_database_that_no_restore_made()
    {
        var target = system.NewDatabaseName();
        await system.Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {target}");
        await AddMarkerAsync(target);

        var outcome = await RestoreAsync(artifactKey, target, overwrite: true);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("TargetExists", outcome.ErrorCode);
        Assert.Contains("was not made by a restore", outcome.Reason);
        Assert.Equal(2, await system.Postgres.ScalarAsync<long>(target, "SELECT count(*) FROM public.precious"));
    }

    [Fact]
    public async Task It_refuses_an_artifact_whose_bytes_were_flipped_before_creating_a_database()
    {
        var damaged = await CopyArtifactAsync();
        var path = Path.Combine(system.StoreRoot, damaged.Value);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x10; // same size, one bit different
        await File.WriteAllBytesAsync(path, bytes);
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(damaged.Value, target);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("IntegrityCheckFailed", outcome.ErrorCode);
        Assert.Contains("Hash mismatch", outcome.Reason);
        Assert.Equal(damaged.Value, outcome.Message.GetProperty("artifactKey").GetString());
        Assert.False(await DatabaseExistsAsync(target));

        var measured = Assert.Single(metrics.Of(RestorerMetrics.DurationName));
        Assert.Equal(("demo", "failed", "IntegrityCheckFailed"), (measured.Tag("backup.source"), measured.Tag("backup.outcome"), measured.Tag("backup.error_code")));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst/../../../x")]
    public async Task It_refuses_a_key_the_dumper_did_not_make(string key)
    {
        var target = system.NewDatabaseName();

        var outcome = await RestoreAsync(key, target);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("InvalidRequest", outcome.ErrorCode);
        Assert.Contains("is not an artifact key", outcome.Reason);
        Assert.False(await DatabaseExistsAsync(target));
    }

    [Theory]
    [InlineData("x\"; DROP DATABASE postgres; --", "is not a plain identifier")]
    [InlineData("dbname=postgres host=elsewhere", "is not a plain identifier")]
    [InlineData("Restored", "is not a plain identifier")]
    [InlineData("template1", "one of the server's own databases")]
    [InlineData("postgres", "one of the server's own databases")]
    public async Task It_refuses_a_target_that_is_not_a_plain_new_database_name(string target, string reason)
    {
        var outcome = await RestoreAsync(artifactKey, target, overwrite: true);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("InvalidRequest", outcome.ErrorCode);
        Assert.Contains(reason, outcome.Reason);
        Assert.True(await DatabaseExistsAsync("postgres"));
    }

    /// <summary>The artifact and its manifest under a new key of the same source: a second, independent backup.</summary>
    async Task<ArtifactKey> CopyArtifactAsync()
    {
        var original = ArtifactKey.Parse(artifactKey);
        var copy = ArtifactKey.Create(original.Source, Guid.NewGuid(), DateTimeOffset.UtcNow, original.Encoding);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(system.StoreRoot, copy.Value))!);
        File.Copy(Path.Combine(system.StoreRoot, original.Value), Path.Combine(system.StoreRoot, copy.Value));
        var manifest = JsonSerializer.Deserialize<ArtifactManifest>(
            await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, original.ManifestPath)), ArtifactManifest.Contract)!;
        await File.WriteAllTextAsync(Path.Combine(system.StoreRoot, copy.ManifestPath),
            JsonSerializer.Serialize(manifest with { ArtifactKey = copy.Value }, ArtifactManifest.Contract));
        return copy;
    }
}
