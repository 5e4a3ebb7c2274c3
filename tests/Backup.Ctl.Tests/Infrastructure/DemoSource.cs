using System.Diagnostics;
using Backup.Storage;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// The test run's source: a real database seeded with deploy/demo/demo-source.sql, dumped once with the stock pg_dump
/// exactly as the dumper runs it (custom format, --compress=0, the demo source's schemas and excluded tables), with
/// the dumped tables' real row counts. Databases the tests restore into are dropped at the end.
/// </summary>
public class DemoSource : IDumpedSource, IAsyncLifetime
{
    protected readonly string id = Guid.NewGuid().ToString("N")[..10];
    readonly List<string> databases = [];

    public PostgresServer Postgres { get; } = PostgresServer.FromEnvironment();
    public string Database => $"ctl_source_{id}";

    /// <summary>What pg_dump wrote: the plain custom-format archive.</summary>
    public byte[] Archive { get; private set; } = [];

    public IReadOnlyList<ManifestTable> Tables { get; private set; } = [];
    public string ServerVersion { get; private set; } = "";
    public string PgDumpVersion { get; private set; } = "";

    /// <summary>A fresh name for a database a test restores into; dropped at the end of the run.</summary>
    public string NewTargetName()
    {
        var name = $"ctl_restored_{id}_{databases.Count}";
        databases.Add(name);
        return name;
    }

    public async Task InitializeAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE DATABASE {Database}");
        databases.Add(Database);
        await Postgres.ExecuteAsync(Database, await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "demo", "demo-source.sql")));
        await AfterSeedAsync();
        ServerVersion = await Postgres.ScalarAsync<string>(Database, "SHOW server_version");

        var folder = Directory.CreateTempSubdirectory("ctl-pgdump-").FullName;
        try
        {
            var passFile = Postgres.WritePassFile(folder);
            PgDumpVersion = (await RunAsync(passFile, "--version")).Text.Trim();
            Archive = (await RunAsync(passFile,
                "--format=custom", "--compress=0", "--no-password",
                $"--host={Postgres.Host}", $"--port={Postgres.Port}", $"--username={Postgres.Username}",
                "--schema=public", "--schema=billing",
                "--exclude-table=public.audit_log", "--exclude-table=public.sessions",
                "--", Database)).Bytes;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var tables = new List<ManifestTable>();
        foreach (var (schema, name) in new[] { ("billing", "invoices"), ("public", "customers"), ("public", "orders") })
            tables.Add(new ManifestTable(schema, name, await Postgres.CountAsync(Database, $"{schema}.{name}")));
        Tables = tables;
    }

    Task<(byte[] Bytes, string Text)> RunAsync(string passFile, params string[] arguments) => RunPgDumpAsync(Postgres, passFile, arguments);

    /// <summary>Runs the server's pg_dump with <paramref name="arguments"/>; its output, or an exception with its errors.</summary>
    public static async Task<(byte[] Bytes, string Text)> RunPgDumpAsync(PostgresServer postgres, string passFile, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(postgres.BinDirectory, "pg_dump"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PGPASSFILE"] = passFile;
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.BaseStream.CopyToAsync(output);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pg_dump exited {process.ExitCode}: {await errors}");
        return (output.ToArray(), System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }

    /// <summary>What a derived source adds to the seeded database before it is dumped.</summary>
    protected virtual Task AfterSeedAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var database in databases)
            await Postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }
}

[CollectionDefinition(Name)]
public sealed class DemoSourceCollection : ICollectionFixture<DemoSource>
{
    public const string Name = "a real demo source database and its pg_dump archive";
}
