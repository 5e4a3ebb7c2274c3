using Backup.Database;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Notifier.Tests.Consumers;

/// <summary>
/// A fresh catalog database, migrated, on the PostgreSQL of deploy/local/infra.sh (BACKUP_PG_* from its infra.env),
/// dropped at the end: the notification_deliveries the notifier claims and settles, as real as in production.
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
        var catalog = new TestCatalog(server, $"notifier_tests_{Guid.NewGuid():N}"[..32]);
        await catalog.ExecuteOnServerAsync($"CREATE DATABASE \"{catalog.name}\"");
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDatabase.Configure(options, catalog.ConnectionString);
        await using var db = new CatalogDbContext(options.Options);
        await db.Database.MigrateAsync();
        return catalog;
    }

    public async Task<List<(string Recipient, string Kind, string State, int Attempts)>> DeliveriesAsync(Guid runId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT recipient, kind, state, attempts FROM notification_deliveries WHERE run_id = @run ORDER BY recipient, kind", connection);
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string, int)>();
        while (await reader.ReadAsync())
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        return rows;
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
