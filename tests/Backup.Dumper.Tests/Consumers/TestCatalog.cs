using Backup.Database;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Dumper.Tests.Consumers;

/// <summary>
/// A fresh catalog database, migrated, on the PostgreSQL of deploy/local/infra.sh (BACKUP_PG_* from its infra.env),
/// dropped at the end: the jobs table the dump consumer writes to, as real as in production.
/// </summary>
sealed class TestCatalog : IAsyncDisposable
{
    readonly string server;
    readonly string name;

    TestCatalog(string server, string name)
    {
        this.server = server;
        this.name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string ConnectionString { get; }

    public static async Task<TestCatalog> CreateAsync()
    {
        var server = new NpgsqlConnectionStringBuilder
        {
            Host = Var("BACKUP_PG_HOST"), Port = int.Parse(Var("BACKUP_PG_PORT")), Username = Var("BACKUP_PG_USER"),
            Password = Var("BACKUP_PG_PASSWORD"), Database = "postgres", Pooling = false,
        }.ConnectionString;
        var catalog = new TestCatalog(server, $"dumper_tests_{Guid.NewGuid():N}"[..32]);
        await catalog.ExecuteOnServerAsync($"CREATE DATABASE \"{catalog.name}\"");
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDatabase.Configure(options, catalog.ConnectionString);
        await using var db = new CatalogDbContext(options.Options);
        await db.Database.MigrateAsync();
        return catalog;
    }

    public async Task<List<(string Kind, string Key, string? Group, string State, string Payload)>> JobsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT kind, key, "group", state, payload::text FROM jobs ORDER BY created_at""", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new List<(string, string, string?, string, string)>();
        while (await reader.ReadAsync())
            jobs.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        return jobs;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    static string Var(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException($"{name} is not set: run deploy/local/infra.sh up DIR and load DIR/infra.env first.");
}
