using Backup.Recovery.Postgres;
using Backup.Storage;
using Npgsql;

namespace Backup.Recovery.Restore;

/// <summary>One table of the manifest: the rows it had in the dump's snapshot, and the rows the restored database has (null: no such table).</summary>
public sealed record RowCount(string Schema, string Name, long Expected, long? Restored)
{
    /// <summary>"schema.name".</summary>
    public string Table => $"{Schema}.{Name}";

    public bool Matches => Restored == Expected;
}

/// <summary>Counts, with <c>SELECT count(*)</c>, every table of the manifest in the restored database.</summary>
public static class RowCountComparison
{
    public static async Task<IReadOnlyList<RowCount>> CountAsync(NpgsqlConnection restored, IReadOnlyList<ManifestTable> tables,
        CancellationToken cancellationToken)
    {
        var counts = new List<RowCount>();
        foreach (var table in tables)
            counts.Add(await CountAsync(restored, table, cancellationToken));
        return counts;
    }

    /// <summary>The exact rows of one manifest table in the restored database (a full <c>count(*)</c>); null when it is missing.</summary>
    public static async Task<RowCount> CountAsync(NpgsqlConnection restored, ManifestTable table, CancellationToken cancellationToken)
    {
        var name = $"{DatabaseNames.Quote(table.Schema)}.{DatabaseNames.Quote(table.Name)}";
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {name}", restored);
        long? restoredRows;
        try
        {
            restoredRows = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            restoredRows = null;
        }
        return new RowCount(table.Schema, table.Name, table.Rows, restoredRows);
    }
}
