using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;

namespace Backup.IntegrationTests.Restoring;

/// <summary>
/// The day of a disaster: the source's server is gone, and its backup is restored onto a fresh server, the bare one
/// (its only role is its superuser dr_admin). The source is owned by its own role (not a superuser) and read by a
/// reporting role, both of the source's server only, so its archive holds ALTER … OWNER TO and GRANT … TO roles the
/// bare server lacks. The README's stock-tools line and the restorer (by RestoreRequested, its Restore settings
/// pointing at the bare server) both restore it there with the manifest's row counts; a restore that fails part-way
/// leaves no database behind, unless asked to keep it.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_restoring_onto_a_server_without_the_sources_roles(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    RestoreOutcomes outcomes = null!;
    ArtifactKey key = null!;
    ArtifactManifest manifest = null!;

    PostgresEndpoint Bare => system.BarePostgres;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.GrantToAReaderAsync();
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartRestorer(configure: settings =>
        {
            settings["Restore:Host"] = Bare.Host;
            settings["Restore:Port"] = Bare.Port.ToString();
            settings["Restore:Username"] = Bare.Username;
            settings["Restore:Password"] = Bare.Password;
        });
        rabbit = await RawRabbit.ConnectAsync(system);
        outcomes = await RestoreOutcomes.ListenAsync(rabbit);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        key = ArtifactKey.Parse((await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey!);
        manifest = JsonSerializer.Deserialize<ArtifactManifest>(
            await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, key.ManifestPath)), ArtifactManifest.Contract)!;

        Assert.False(await Bare.RoleExistsAsync(system.SourceRole), "the bare server has the source's owner role");
        Assert.False(await Bare.RoleExistsAsync(system.ReaderRole), "the bare server has the source's reader role");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_READMEs_stock_tools_line_restores_every_row_of_the_manifest()
    {
        var target = await system.RestoreAsync(Path.Combine(system.StoreRoot, key.Value), server: Bare);

        await AssertRestoredAsync(target);
        Assert.Equal(Bare.Username, await Bare.ScalarAsync<string>(target,
            "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'billing' AND tablename = 'invoices'"));
    }

    [Fact]
    public async Task The_READMEs_stock_tools_line_leaves_no_database_when_the_restore_fails_part_way()
    {
        // Cut in the middle of the table data: pg_restore has created tables and loaded some rows when it meets the end.
        var cut = Path.Combine(system.StoreRoot, "cut.dump.zst");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(system.StoreRoot, key.Value));
        await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length * 2 / 3)]);
        var target = system.NewBareDatabaseName();
        await Bare.ExecuteAsync("postgres", $"CREATE DATABASE \"{target}\""); // the README's createdb line

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => PgTools.RunReadmeRestoreLineAsync(Bare, cut, target));

        Assert.Contains("pg_restore", failure.Message);
        Assert.False(await Bare.DatabaseExistsAsync(target), "the failed restore left its database behind");
    }

    [Fact]
    public async Task The_restorer_restores_it_and_publishes_RestoreCompleted_with_the_manifests_row_counts()
    {
        var target = system.NewBareDatabaseName();

        var outcome = await RestoreAsync(target);

        Assert.True(outcome.Completed, outcome.ToString());
        Assert.Equal(target, outcome.Message.GetProperty("targetDatabase").GetString());
        var tables = outcome.Message.GetProperty("tables").EnumerateArray()
            .ToDictionary(t => $"{t.GetProperty("schema").GetString()}.{t.GetProperty("name").GetString()}");
        Assert.Equal(manifest.Tables.Select(t => $"{t.Schema}.{t.Name}").Order(), tables.Keys.Order());
        foreach (var table in manifest.Tables)
        {
            var reported = tables[$"{table.Schema}.{table.Name}"];
            Assert.Equal(table.Rows, reported.GetProperty("expectedRows").GetInt64());
            Assert.Equal(table.Rows, reported.GetProperty("restoredRows").GetInt64());
        }
        await AssertRestoredAsync(target);
    }

    [Fact]
    public async Task With_KeepPrivileges_the_restore_fails_on_the_missing_roles_and_leaves_no_database()
    {
        var target = system.NewBareDatabaseName();

        var outcome = await RestoreAsync(target, keepPrivileges: true);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("RestoreFailed", outcome.ErrorCode);
        Assert.Contains("does not exist", outcome.Reason);
        Assert.Contains("restore without KeepPrivileges", outcome.Reason);
        Assert.Contains($"The half-restored database {target} was dropped", outcome.Reason);
        Assert.False(await Bare.DatabaseExistsAsync(target), "the failed restore left its database behind");
    }

    [Fact]
    public async Task With_KeepPrivileges_and_KeepFailedDatabase_the_half_restored_database_is_kept_for_inspection()
    {
        var target = system.NewBareDatabaseName();

        var outcome = await RestoreAsync(target, keepPrivileges: true, keepFailedDatabase: true);

        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("RestoreFailed", outcome.ErrorCode);
        Assert.Contains($"The half-restored database {target} is kept for inspection", outcome.Reason);
        Assert.True(await Bare.DatabaseExistsAsync(target), "the database asked to be kept is gone");
    }

    async Task<RestoreOutcome> RestoreAsync(string target, bool keepPrivileges = false, bool keepFailedDatabase = false)
    {
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, key.Value, target, keepPrivileges: keepPrivileges, keepFailedDatabase: keepFailedDatabase);
        return await outcomes.WaitAsync(restoreId);
    }

    /// <summary>Every manifest table on the bare server: the manifest's row count, the source's count, and the source's rows.</summary>
    async Task AssertRestoredAsync(string target)
    {
        foreach (var table in manifest.Tables)
        {
            var name = $"{table.Schema}.{table.Name}";
            Assert.True(table.Rows > 0, $"the source's {name} was seeded");
            Assert.Equal(table.Rows, await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {name}"));
            Assert.Equal(table.Rows, await Bare.ScalarAsync<long>(target, $"SELECT count(*) FROM {name}"));
            var fingerprint = $"SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM {name} t";
            Assert.Equal(await system.Postgres.ScalarAsync<string>(system.SourceDatabase, fingerprint), await Bare.ScalarAsync<string>(target, fingerprint));
        }
    }
}
