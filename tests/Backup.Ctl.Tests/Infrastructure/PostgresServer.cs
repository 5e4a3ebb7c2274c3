using Npgsql;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL of the test run and its client programs, from the BACKUP_PG_* variables that
/// deploy/local/test.sh exports (run `deploy/local/infra.sh up DIR` and source DIR/infra.env to run the tests alone).
/// </summary>
public sealed record PostgresServer(string Host, int Port, string Username, string Password, string BinDirectory)
{
    public static PostgresServer FromEnvironment() => new(
        Var("BACKUP_PG_HOST"), int.Parse(Var("BACKUP_PG_PORT")), Var("BACKUP_PG_USER"), Var("BACKUP_PG_PASSWORD"), Var("BACKUP_PG_BIN"));

    /// <summary>
    /// The second server infra.sh starts (BACKUP_BARE_PG_*): a fresh cluster whose only role is its superuser (not
    /// "postgres"), as a disaster-recovery server is; none of the roles the tests create on the main server exist there.
    /// </summary>
    public static PostgresServer BareFromEnvironment() => new(
        Var("BACKUP_BARE_PG_HOST"), int.Parse(Var("BACKUP_BARE_PG_PORT")), Var("BACKUP_BARE_PG_USER"), Var("BACKUP_BARE_PG_PASSWORD"),
        Var("BACKUP_PG_BIN"));

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = database, Username = Username, Password = Password, Pooling = false,
    }.ConnectionString;

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public Task<bool> DatabaseExistsAsync(string database) =>
        ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{database}')");

    public Task<long> CountAsync(string database, string table) => ScalarAsync<long>(database, $"SELECT count(*) FROM {table}");

    public Task<bool> RoleExistsAsync(string role) =>
        ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}')");

    /// <summary>A 0600 password file with this server's entry, as an operator keeps in ~/.pgpass.</summary>
    public string WritePassFile(string folder)
    {
        var path = System.IO.Path.Combine(folder, "pgpass");
        File.WriteAllText(path, $"{Host}:{Port}:*:{Username}:{Password}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>A file holding just the password, for --password-file.</summary>
    public string WritePasswordFile(string folder)
    {
        var path = System.IO.Path.Combine(folder, "password");
        File.WriteAllText(path, Password + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    static string Var(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException(
            $"{name} is not set: run the tests with deploy/local/test.sh, or 'deploy/local/infra.sh up DIR' and 'set -a; . DIR/infra.env; set +a' first " +
            "(an instance made before infra.sh started the bare server has no BACKUP_BARE_PG_*: make a new one).");
}
