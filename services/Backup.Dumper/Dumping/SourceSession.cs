using System.Globalization;
using Backup.Dumper.Options;
using Npgsql;

namespace Backup.Dumper.Dumping;

/// <summary>
/// A read-only REPEATABLE READ transaction on the source that exports its snapshot: pg_dump dumps that snapshot
/// (--snapshot), and the foreign-key check is taken in it too, so it describes exactly what the archive holds (the
/// row counts come from the archive itself). Opened before pg_dump starts, so wrong credentials and version problems are found first.
/// </summary>
public sealed class SourceSession : IAsyncDisposable
{
    readonly NpgsqlConnection connection;
    readonly NpgsqlTransaction transaction;

    SourceSession(NpgsqlConnection connection, NpgsqlTransaction transaction, string snapshot, int serverVersionNumber, string serverVersion)
    {
        this.connection = connection;
        this.transaction = transaction;
        Snapshot = snapshot;
        ServerVersionNumber = serverVersionNumber;
        ServerVersion = serverVersion;
    }

    public string Snapshot { get; }
    public int ServerVersionNumber { get; }
    public string ServerVersion { get; }
    public int ServerMajorVersion => ServerVersionNumber / 10000;

    public static async Task<SourceSession> OpenAsync(SourceOptions source, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = source.Host,
            Port = source.Port,
            Database = source.Database,
            Username = source.Username,
            Password = source.Password,
            ApplicationName = "backup-dumper",
            Timeout = 15,
            Pooling = false,
        };
        source.Tls.ApplyTo(settings);
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT pg_export_snapshot(), current_setting('server_version_num')::int, current_setting('server_version')",
                connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var session = new SourceSession(connection, transaction, reader.GetString(0), reader.GetInt32(1), reader.GetString(2));
            return session;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Foreign keys from a table in the archive to a table whose definition is not in it.</summary>
    public async Task<IReadOnlyList<string>> ForeignKeysLeavingAsync(ISet<string> archivedTables, ISet<string> tablesWithData,
        CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT fn.nspname, f.relname, tn.nspname, t.relname, c.conname
            FROM pg_constraint c
            JOIN pg_class f ON f.oid = c.conrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
            JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
            WHERE c.contype = 'f'
            """;
        var problems = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var from = $"{reader.GetString(0)}.{reader.GetString(1)}";
            var to = $"{reader.GetString(2)}.{reader.GetString(3)}";
            if (!archivedTables.Contains(from) || from == to) continue;
            if (!archivedTables.Contains(to))
                problems.Add($"{from} references {to} (constraint {reader.GetString(4)}), which is not in the backup: restoring it will fail to create that foreign key.");
            else if (tablesWithData.Contains(from) && !tablesWithData.Contains(to))
                problems.Add($"{from} references {to} (constraint {reader.GetString(4)}), whose rows are not in the backup: restoring it will fail that foreign key unless {from} is empty.");
        }
        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }

    public static string Describe(int serverVersionNumber) =>
        (serverVersionNumber / 10000).ToString(CultureInfo.InvariantCulture);
}
