using System.Threading.Channels;
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

/// <summary>
/// The row counts of a restore, taken while pg_restore still runs: <see cref="Count"/> queues a table whose data
/// pg_restore has committed, and one connection counts the queued tables in turn (exact <c>count(*)</c>, as
/// <see cref="RowCountComparison"/>) while pg_restore builds indexes and loads the other tables.
/// <see cref="CompleteAsync"/>, after pg_restore, counts whatever was not counted yet (every table when nothing was
/// queued, or when early counting failed) and returns the counts in the manifest's order.
/// </summary>
public sealed class RestoredRowCounts(Func<CancellationToken, Task<NpgsqlConnection>> open, IReadOnlyList<ManifestTable> tables)
    : IAsyncDisposable
{
    readonly Channel<ManifestTable> queue = Channel.CreateUnbounded<ManifestTable>(new UnboundedChannelOptions { SingleReader = true });
    readonly Dictionary<(string, string), ManifestTable> manifestTables = tables.ToDictionary(t => (t.Schema, t.Name));
    readonly HashSet<(string, string)> queued = [];
    readonly Dictionary<(string, string), RowCount> counted = [];
    readonly CancellationTokenSource stop = new();
    Task? counting;

    /// <summary>Counts <paramref name="schema"/>.<paramref name="name"/> soon, if it is a manifest table not counted yet.</summary>
    public void Count(string schema, string name)
    {
        lock (queued)
        {
            if (!manifestTables.TryGetValue((schema, name), out var table) || !queued.Add((schema, name))) return;
            counting ??= Task.Run(() => CountQueuedAsync(stop.Token));
            queue.Writer.TryWrite(table);
        }
    }

    async Task CountQueuedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await open(cancellationToken);
            // One process per count while pg_restore runs: a parallel scan would take the cores its jobs are using.
            await using (var serial = new NpgsqlCommand("SET max_parallel_workers_per_gather = 0", connection))
                await serial.ExecuteNonQueryAsync(cancellationToken);
            await foreach (var table in queue.Reader.ReadAllAsync(cancellationToken))
            {
                var count = await RowCountComparison.CountAsync(connection, table, cancellationToken);
                lock (counted) counted[(table.Schema, table.Name)] = count;
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Counted again after pg_restore, where a failure is reported as such.
        }
    }

    /// <summary>Every manifest table's count, in the manifest's order; those not counted during the restore are counted now.</summary>
    public async Task<IReadOnlyList<RowCount>> CompleteAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        if (counting is not null) await counting.WaitAsync(cancellationToken);
        List<ManifestTable> left;
        lock (counted) left = tables.Where(t => !counted.ContainsKey((t.Schema, t.Name))).ToList();
        if (left.Count > 0)
        {
            await using var connection = await open(cancellationToken);
            foreach (var table in left)
                counted[(table.Schema, table.Name)] = await RowCountComparison.CountAsync(connection, table, cancellationToken);
        }
        return tables.Select(t => counted[(t.Schema, t.Name)]).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stop.CancelAsync();
        if (counting is not null)
            await counting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.Dispose();
    }
}
