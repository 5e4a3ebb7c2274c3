using Backup.Archive;

namespace Backup.Recovery.Loading;

/// <summary>
/// The indexes and constraints (primary keys, unique and check constraints; not foreign keys, which need two tables)
/// that belong to one table alone, by the archive's dependencies. They are built as soon as that table's data is in
/// while other tables are still loading, as pg_restore -j does, rather than all after the last table: the big table
/// still loading then has the server to itself once it is done.
/// </summary>
sealed class OwnIndexes
{
    readonly Dictionary<int, List<TocEntry>> byTableData = [];

    OwnIndexes()
    {
    }

    public static OwnIndexes Of(IReadOnlyList<TocEntry> entries)
    {
        var plan = new OwnIndexes();
        var byId = entries.ToDictionary(e => e.DumpId);
        var dataOfTable = new Dictionary<int, int>();
        foreach (var data in entries.Where(e => e.IsTableData))
            foreach (var table in data.Dependencies.Where(d => byId.TryGetValue(d, out var e) && e.IsTable))
                dataOfTable.TryAdd(table, data.DumpId);

        foreach (var entry in entries.Where(e => e.Section == TocSection.PostData && e.Desc is "INDEX" or "CONSTRAINT"))
        {
            var tables = entry.Dependencies.Where(dataOfTable.ContainsKey).Distinct().ToList();
            var onlySchemaBesides = entry.Dependencies.All(d =>
                dataOfTable.ContainsKey(d) || byId.TryGetValue(d, out var e) && e.Section == TocSection.PreData);
            if (tables.Count == 1 && onlySchemaBesides)
            {
                var data = dataOfTable[tables[0]];
                if (!plan.byTableData.TryGetValue(data, out var own)) plan.byTableData[data] = own = [];
                own.Add(entry);
            }
        }
        return plan;
    }

    /// <summary>The own indexes and constraints of the table whose data entry is <paramref name="tableData"/>; empty: none.</summary>
    public IReadOnlyList<TocEntry> Of(TocEntry tableData) => byTableData.TryGetValue(tableData.DumpId, out var own) ? own : [];
}

/// <summary>
/// Builds tables' <see cref="OwnIndexes"/> while other tables still load, each table's with one pg_restore run
/// (<paramref name="build"/>); what it built is left out of the pass after the data.
/// </summary>
sealed class OwnIndexBuilds(OwnIndexes plan, Func<IReadOnlyList<TocEntry>, CancellationToken, Task> build, CancellationToken cancellationToken)
    : IDisposable
{
    readonly CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    readonly List<(IReadOnlyList<TocEntry> Entries, Task Built)> started = [];

    /// <summary>A table's data is in: its own indexes are built now if other tables are still loading (else after the data, with the rest).</summary>
    public void TableLoaded(TocEntry tableData, bool othersLoading)
    {
        if (!othersLoading || plan.Of(tableData) is not { Count: > 0 } own) return;
        var built = Task.Run(() => build(own, stop.Token), stop.Token);
        lock (started) started.Add((own, built));
    }

    /// <summary>The dump ids of what was built (call after <see cref="WaitAsync"/>).</summary>
    public IReadOnlySet<int> Built
    {
        get { lock (started) return started.SelectMany(s => s.Entries).Select(e => e.DumpId).ToHashSet(); }
    }

    public Task WaitAsync()
    {
        lock (started) return Task.WhenAll(started.Select(s => s.Built));
    }

    /// <summary>On a failure elsewhere: stops the builds still running and waits for them; their own failures are not reported.</summary>
    public async Task AbandonAsync()
    {
        await stop.CancelAsync();
        try { await WaitAsync(); } catch (Exception) { /* the failure elsewhere is the one reported */ }
    }

    public void Dispose() => stop.Dispose();
}
