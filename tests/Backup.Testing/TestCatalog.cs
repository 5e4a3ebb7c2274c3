using Backup.Database;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Testing;

/// <summary>
/// A fresh catalog database, migrated, on the PostgreSQL of deploy/local/infra.sh (BACKUP_PG_* from its infra.env),
/// dropped at the end: the tables a consumer writes to, as real as in production.
/// </summary>
public sealed class TestCatalog : IAsyncDisposable
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

    /// <param name="prefix">The start of the database's name, saying which tests made it (e.g. "dumper_tests").</param>
    public static async Task<TestCatalog> CreateAsync(string prefix)
    {
        var server = new NpgsqlConnectionStringBuilder
        {
            Host = Var("BACKUP_PG_HOST"), Port = int.Parse(Var("BACKUP_PG_PORT")), Username = Var("BACKUP_PG_USER"),
            Password = Var("BACKUP_PG_PASSWORD"), Database = "postgres", Pooling = false,
        }.ConnectionString;
        var catalog = new TestCatalog(server, $"{prefix}_{Guid.NewGuid():N}");
        await catalog.ExecuteOnServerAsync($"CREATE DATABASE \"{catalog.name}\"");
        var options = new DbContextOptionsBuilder<CatalogDbContext>();
        CatalogDatabase.Configure(options, catalog.ConnectionString);
        await using var db = new CatalogDbContext(options.Options);
        await db.Database.MigrateAsync();
        return catalog;
    }

    /// <summary>The rows of <paramref name="sql"/> (parameters by name), each read by <paramref name="row"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> row, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (parameter, value) in parameters) command.Parameters.AddWithValue(parameter, value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(row(reader));
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
