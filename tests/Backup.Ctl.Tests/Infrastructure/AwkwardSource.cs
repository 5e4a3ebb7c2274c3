using Backup.Storage;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// A source database with what a restore can get wrong: text with backslashes, tabs, newlines, carriage returns,
/// "\." and non-ASCII; NULLs and empty strings; jsonb, arrays and a generated column; a quoted schema and table name;
/// an empty table; enough rows in one table for many 1 MiB pieces; a sequence moved on; a foreign key, an index, a
/// view and a comment; a partitioned table (its rows are in its two partitions, with a primary key on the parent). With <see cref="WithLargeObject"/> it also holds a large object, which only pg_restore loads.
/// Dumped with the stock pg_dump as the dumper runs it.
/// </summary>
public class AwkwardSource : IDumpedSource, IAsyncLifetime
{
    readonly string id = Guid.NewGuid().ToString("N")[..10];
    readonly List<string> databases = [];

    protected virtual bool WithLargeObject => false;

    public PostgresServer Postgres { get; } = PostgresServer.FromEnvironment();
    public string Database => $"ctl_awkward_{id}";
    public byte[] Archive { get; private set; } = [];
    public IReadOnlyList<ManifestTable> Tables { get; private set; } = [];
    public string ServerVersion { get; private set; } = "";
    public string PgDumpVersion { get; private set; } = "";

    /// <summary>"schema.name" as SQL, for each dumped table.</summary>
    public static string Sql(ManifestTable table) => $"\"{table.Schema}\".\"{table.Name}\"";

    public string NewTargetName()
    {
        var name = $"ctl_awkward_restored_{id}_{databases.Count}";
        databases.Add(name);
        return name;
    }

    public async Task InitializeAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {Database} TEMPLATE template0 ENCODING 'UTF8'");
        databases.Add(Database);
        await Postgres.ExecuteAsync(Database, """
            CREATE SCHEMA "Odd Schema";
            CREATE TABLE public.texts (id int PRIMARY KEY, body text, note text);
            INSERT INTO public.texts VALUES
                (1, E'back\\slash', 'plain'), (2, E'line\nbreak', NULL), (3, E'tab\there', ''),
                (4, E'\\.', E'\\.\n'), (5, E'carriage\rreturn', 'ünïcødé ✓ 日本'), (6, E'\\\\.', E'end\\');
            INSERT INTO public.texts SELECT g, repeat(md5(g::text), 8) || E'\\.\n' || g, 'row ' || g FROM generate_series(100, 60000) g;
            CREATE TABLE "Odd Schema"."Mixed Case" (
                id int PRIMARY KEY, payload jsonb, tags text[], doubled int GENERATED ALWAYS AS (id * 2) STORED);
            INSERT INTO "Odd Schema"."Mixed Case" (id, payload, tags)
                SELECT g, jsonb_build_object('n', g, 's', E'quote " and \\ slash'), ARRAY['a', NULL, E'b\tc'] FROM generate_series(1, 3000) g;
            CREATE TABLE public.empty (id int);
            CREATE TABLE public.children (id int PRIMARY KEY, text_id int NOT NULL REFERENCES public.texts (id));
            INSERT INTO public.children SELECT g, 100 + g FROM generate_series(1, 500) g;
            CREATE INDEX texts_note ON public.texts (note);
            CREATE SEQUENCE public.counter;
            SELECT setval('public.counter', 4242);
            CREATE VIEW public.text_count AS SELECT count(*) AS n FROM public.texts;
            COMMENT ON TABLE public.texts IS 'awkward rows';
            CREATE TABLE public.events (id int NOT NULL, at date NOT NULL, what text) PARTITION BY RANGE (at);
            CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            ALTER TABLE public.events ADD PRIMARY KEY (id, at);
            INSERT INTO public.events SELECT g, date '2025-01-01' + (g % 700), 'event ' || g FROM generate_series(1, 7000) g;
            """);
        if (WithLargeObject)
            await Postgres.ExecuteAsync(Database, "SELECT lo_from_bytea(424242, convert_to(repeat('large object ', 1000), 'UTF8'))");
        ServerVersion = await Postgres.ScalarAsync<string>(Database, "SHOW server_version");

        var folder = Directory.CreateTempSubdirectory("ctl-pgdump-").FullName;
        try
        {
            var passFile = Postgres.WritePassFile(folder);
            PgDumpVersion = (await DemoSource.RunPgDumpAsync(Postgres, passFile, "--version")).Text.Trim();
            Archive = (await DemoSource.RunPgDumpAsync(Postgres, passFile,
                "--format=custom", "--compress=0", "--no-password",
                $"--host={Postgres.Host}", $"--port={Postgres.Port}", $"--username={Postgres.Username}",
                "--", Database)).Bytes;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var tables = new List<ManifestTable>();
        foreach (var (schema, name) in new[]
                 {
                     ("Odd Schema", "Mixed Case"), ("public", "children"), ("public", "empty"), ("public", "events_2025"),
                     ("public", "events_2026"), ("public", "texts"),
                 })
            tables.Add(new ManifestTable(schema, name, await Postgres.ScalarAsync<long>(Database, $"SELECT count(*) FROM \"{schema}\".\"{name}\"")));
        Tables = tables;
    }

    public async Task DisposeAsync()
    {
        foreach (var database in databases)
            await Postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }
}

/// <summary>The awkward source with a large object: its archive goes through pg_restore from a file.</summary>
public sealed class AwkwardSourceWithLargeObject : AwkwardSource
{
    protected override bool WithLargeObject => true;
}
