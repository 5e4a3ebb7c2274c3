using System.Text;
using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

/// <summary>
/// A restore loads each table's COPY text straight from its decoders into the new database, in two sessions, and
/// leaves indexes, constraints, sequence values, comments and privileges to pg_restore. The restored database must
/// equal the source in every row and in everything pg_restore adds after the data.
/// </summary>
public sealed class When_an_archive_is_loaded_while_it_decodes(AwkwardSource source) : IClassFixture<AwkwardSource>, IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task Every_row_and_every_object_after_the_data_is_restored()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await Restore(key.Value, target);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("loading table data in 2 session(s) while the archive decodes", run.Output);
        await Restored.AssertEqualAsync(source, target);
    }

    [Fact]
    public async Task Every_table_is_loaded_frozen_so_nothing_rewrites_its_pages_afterwards()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await Restore(key.Value, target);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        await source.Postgres.ExecuteAsync(target, "CREATE EXTENSION pg_visibility");
        foreach (var table in source.Tables.Where(t => t.Rows > 0))
        {
            var name = AwkwardSource.Sql(table).Replace("'", "''");
            // Every page of the table all-visible and all-frozen in its visibility map: the rows went in with COPY FREEZE.
            var pages = await source.Postgres.ScalarAsync<long>(target, $"SELECT pg_relation_size('{name}') / current_setting('block_size')::int");
            var frozen = await source.Postgres.ScalarAsync<long>(target, $"SELECT all_frozen FROM pg_visibility_map_summary('{name}')");
            Assert.True(pages > 0, $"{name} has no pages");
            Assert.True(frozen == pages, $"{name}: {frozen} of {pages} pages frozen");
        }
        await Restored.AssertEqualAsync(source, target);
    }

    [Fact]
    public async Task An_encrypted_artifact_is_loaded_the_same_way()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow, encoding: Backup.Storage.ArtifactEncoding.ZstdOpenPgp);
        var target = source.NewTargetName();
        var run = await Restore(key.Value, target, "--passphrase-file", store.WriteFile("passphrase", TestStore.Passphrase + "\n"));

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("loading table data in 2 session(s)", run.Output);
        await Restored.AssertEqualAsync(source, target);
    }

    [Fact]
    public async Task An_end_of_data_line_inside_a_tables_data_fails_the_restore_instead_of_dropping_rows()
    {
        // pg_dump writes each row as its own chunk: [0][length, 4 bytes][row]. Row 3 of public.texts is "3", a tab,
        // "tab\there" (its tab escaped) and an empty note; its first three bytes become "\." and a newline — same
        // length, so the archive still parses, and its manifest is made for the changed bytes: only the content check
        // can catch it. Without it the server would end the table's COPY there and keep two of its 59,907 rows.
        var archive = (byte[])source.Archive.Clone();
        var row = Encoding.UTF8.GetBytes("3\ttab\\there\t\n");
        var at = IndexOf(archive, [0, (byte)row.Length, 0, 0, 0, .. row]);
        Assert.True(at > 0, "row 3 of public.texts not found as one chunk of the archive");
        "\\.\n"u8.CopyTo(archive.AsSpan(at + 5));
        var key = await store.AddStoredAsync(new ChangedArchive(source, archive), TestStore.Compress(archive), DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await Restore(key.Value, target);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains("holds an end-of-data line", run.Errors);
    }

    Task<CtlRun> Restore(string key, string target, params string[] more) => Backupctl.RunAsync(
        ["restore", "--store", store.Root, key, "--target-database", target, "--jobs", "2",
         "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres), .. more]);

    static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    /// <summary>The source with other archive bytes.</summary>
    sealed record ChangedArchive(IDumpedSource Source, byte[] Archive) : IDumpedSource
    {
        public PostgresServer Postgres => Source.Postgres;
        public string Database => Source.Database;
        public string ServerVersion => Source.ServerVersion;
        public string PgDumpVersion => Source.PgDumpVersion;
        public IReadOnlyList<Backup.Storage.ManifestTable> Tables => Source.Tables;
    }

    public void Dispose() => store.Dispose();
}

/// <summary>An archive with a large object can't be loaded that way: it goes through pg_restore from a file, and is restored as well.</summary>
public sealed class When_an_archive_holds_a_large_object(AwkwardSourceWithLargeObject source)
    : IClassFixture<AwkwardSourceWithLargeObject>, IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task Pg_restore_restores_it_from_a_file_with_every_row_and_the_large_object()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target, "--jobs", "2",
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.DoesNotContain("loading table data", run.Output);
        Assert.Contains("running pg_restore --jobs=2", run.Output);
        await Restored.AssertEqualAsync(source, target);
        const string largeObject = "SELECT md5(lo_get(424242))";
        Assert.Equal(await source.Postgres.ScalarAsync<string>(source.Database, largeObject),
            await source.Postgres.ScalarAsync<string>(target, largeObject));
    }

    /// <summary>
    /// The source's objects are owned by "postgres", a role the bare server (whose superuser is dr_admin) does not
    /// have: restored without owners by default, and with --keep-privileges pg_restore fails, and the database it was
    /// filling is dropped again.
    /// </summary>
    [Fact]
    public async Task Onto_a_server_without_the_sources_roles_it_restores_and_with_keep_privileges_it_fails_leaving_no_database()
    {
        var bare = PostgresServer.BareFromEnvironment();
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        var target = source.NewTargetName();
        var failing = source.NewTargetName();
        try
        {
            var restored = await RestoreAsync(bare, key.Value, target);
            var refused = await RestoreAsync(bare, key.Value, failing, "--keep-privileges");

            Assert.True(restored.ExitCode == ExitCodes.Ok, restored.ToString());
            Assert.Contains("running pg_restore --jobs=2", restored.Output);
            await Restored.AssertEqualAsync(source, target, bare);
            Assert.True(refused.ExitCode == ExitCodes.DatabaseFailed, refused.ToString());
            Assert.Contains("role \"postgres\" does not exist", refused.Errors);
            Assert.Contains($"database {failing} was dropped", refused.Errors.ReplaceLineEndings(" "));
            Assert.False(await bare.DatabaseExistsAsync(failing));
        }
        finally
        {
            await bare.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {target} WITH (FORCE)");
            await bare.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {failing} WITH (FORCE)");
        }
    }

    Task<CtlRun> RestoreAsync(PostgresServer server, string key, string target, params string[] more) => Backupctl.RunAsync(
        ["restore", "--store", store.Root, key, "--target-database", target, "--jobs", "2",
         "--password-file", server.WritePasswordFile(store.Workspace), .. Connection.To(server), .. more]);

    public void Dispose() => store.Dispose();
}

/// <summary>What the restored awkward database must hold.</summary>
static class Restored
{
    /// <param name="server">Where <paramref name="target"/> is: the source's server when null.</param>
    public static async Task AssertEqualAsync(AwkwardSource source, string target, PostgresServer? server = null)
    {
        var postgres = source.Postgres;
        server ??= postgres;
        foreach (var table in source.Tables)
        {
            var name = AwkwardSource.Sql(table);
            var fingerprint = $"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {name} t";
            Assert.Equal(await postgres.ScalarAsync<string>(source.Database, fingerprint), await server.ScalarAsync<string>(target, fingerprint));
        }
        string[] afterData =
        [
            "SELECT last_value::text FROM public.counter",
            "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname IN ('public', 'Odd Schema')",
            "SELECT string_agg(conname || ':' || contype::text, ',' ORDER BY conname) FROM pg_constraint WHERE connamespace IN ('public'::regnamespace, '\"Odd Schema\"'::regnamespace)",
            "SELECT obj_description('public.texts'::regclass, 'pg_class')",
            "SELECT n::text FROM public.text_count",
            "SELECT sum(doubled - 2 * id)::text FROM \"Odd Schema\".\"Mixed Case\"",
            "SELECT count(*) || ':' || sum(id) FROM public.events",
            "SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY inhrelid::regclass::text) FROM pg_inherits WHERE inhparent = 'public.events'::regclass",
        ];
        foreach (var query in afterData)
            Assert.Equal(await postgres.ScalarAsync<string>(source.Database, query), await server.ScalarAsync<string>(target, query));
    }
}
