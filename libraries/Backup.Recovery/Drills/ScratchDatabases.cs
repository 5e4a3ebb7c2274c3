using Npgsql;

namespace Backup.Recovery.Drills;

/// <summary>
/// The drill server's scratch databases: "backup_drill_&lt;run id&gt;", made by a drill (marked as restored by the drill's
/// caller) and dropped when it ends. One drill runs on a server at a time, whoever runs it (restorer instances,
/// backupctl): a session-level advisory lock on the server's maintenance database, held for the whole drill. Under it,
/// any scratch database still there was left by a drill that was killed (the restorer's or backupctl's: each marks the
/// databases it restores as made by a restore), and is dropped before the next one starts; a database that merely
/// shares the prefix, without a restore's mark, is never touched.
/// </summary>
public static class ScratchDatabases
{
    public const string Prefix = "backup_drill_";

    public static string NameFor(Guid runId) => Prefix + runId.ToString("N");

    /// <summary>Waits for the server's drill lock and takes it on <paramref name="maintenance"/> (released when it closes).</summary>
    public static async Task LockServerAsync(NpgsqlConnection maintenance, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended('backup-drill', 0))", maintenance) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops every scratch database a drill left behind (it carries a restore's mark as its comment); returns their names.</summary>
    public static async Task<IReadOnlyList<string>> DropLeftoversAsync(NpgsqlConnection maintenance, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var find = new NpgsqlCommand("""
            SELECT datname FROM pg_database
            WHERE starts_with(datname, $1) AND starts_with(coalesce(shobj_description(oid, 'pg_database'), ''), $2)
            """, maintenance))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = Prefix });
            find.Parameters.Add(new NpgsqlParameter { Value = ArtifactRestore.RestoredMarkStart });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        }
        foreach (var name in names)
            await DropAsync(maintenance, name, cancellationToken);
        return names;
    }

    public static async Task DropAsync(NpgsqlConnection maintenance, string name, CancellationToken cancellationToken)
    {
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Postgres.DatabaseNames.Quote(name)} WITH (FORCE)", maintenance);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Whether the server has a database called <paramref name="name"/>.</summary>
    public static async Task<bool> ExistsAsync(NpgsqlConnection maintenance, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", maintenance);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
