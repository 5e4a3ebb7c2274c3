using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Backup.Archive;
using Npgsql;

namespace Backup.Recovery.Loading;

/// <summary>
/// Loads an archive's table data while the artifact decodes, in N sessions at once and without a decoded file, instead
/// of decoding it to a file first and running <c>pg_restore -j</c> on that. Each session has its own decoder over the
/// checked copy of the stored bytes and reads the archive from its start; it takes each table whose data it reaches
/// while it is free, and skips the tables another session took first. So the sessions share the tables out as
/// pg_restore -j's workers do (a session busy with a big table leaves the next ones to the others), and each table's
/// COPY text goes from the decoder straight to the server. Writing the decoded archive to a file cost more than
/// decoding it twice (fresh page-cache pages: ~0.55 s of system time per 260 MB on these machines).
/// </summary>
/// <remarks>
/// The rows of a table are counted in the COPY text its session sent (<see cref="ArchiveDataReader.CopyDataAsync"/>):
/// COPY text has one row per line, and a COPY either loads every line or fails and loads none (which fails the
/// restore). So no <c>count(*)</c> runs afterwards. A line "\." inside a table's data, which would end its COPY early
/// and silently drop the rest, fails the restore instead.
/// </remarks>
static partial class TableDataLoad
{
    /// <summary>The session settings pg_restore makes before it loads data.</summary>
    const string SessionSettings =
        "SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; " +
        "SET standard_conforming_strings = on; SELECT pg_catalog.set_config('search_path', '', false); " +
        "SET check_function_bodies = false; SET xmloption = content; SET client_min_messages = warning; SET row_security = off";

    /// <summary>A COPY statement as pg_dump writes it: one statement on one line.</summary>
    [GeneratedRegex(@"\ACOPY [^\n;]+ FROM stdin;\n\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainCopyStatement();

    /// <summary>Why <paramref name="archive"/> can't be loaded this way (it then goes through pg_restore from a file), or null when it can.</summary>
    public static string? CannotLoadBecause(ArchiveDataReader archive)
    {
        if (!archive.Header.IsReadable) return archive.Header.UnreadableBecause;
        if (archive.Entries.FirstOrDefault(e => e.HasData && !e.IsTableData) is { } other)
            return $"it holds data other than tables' ({other.Desc} {other.Tag})";
        if (archive.Entries.FirstOrDefault(e => e.IsTableData && !PlainCopyStatement().IsMatch(e.CopyStatement ?? "")) is { } unusual)
            return $"the COPY statement of {unusual.QualifiedName} is not a plain one";
        // Npgsql's sessions speak UTF-8: the COPY text must be in it.
        if (archive.Entries.FirstOrDefault(e => e.Desc == "ENCODING")?.Definition?.Trim() != "SET client_encoding = 'UTF8';")
            return "its data is not in UTF-8";
        return null;
    }

    /// <summary>The schema before the data: tables, types, functions… (pg_dump's pre-data section), as a pg_restore -L list.</summary>
    public static string SchemaList(ArchiveDataReader archive) =>
        List(archive.Entries.Where(e => e.Section == TocSection.PreData));

    /// <summary>
    /// Everything after the data: indexes, constraints, triggers (post-data), what the data section holds besides table
    /// data (sequence values), and what belongs to no section (comments, privileges).
    /// </summary>
    public static IEnumerable<TocEntry> AfterData(ArchiveDataReader archive) =>
        archive.Entries.Where(e => e.Section is TocSection.PostData or TocSection.None || e.Section == TocSection.Data && !e.IsTableData);

    /// <summary>Entries as a pg_restore -L list: their dump ids, one a line.</summary>
    public static string List(IEnumerable<TocEntry> entries) => string.Concat(entries.Select(e => $"{e.DumpId}\n"));

    /// <summary>
    /// Loads every table's data with <paramref name="sessions"/> sessions: the first reads <paramref name="first"/>, each
    /// other one a reader from <paramref name="openAnother"/>. Returns the rows loaded per "schema.name" and the archive's
    /// length. The first failure stops the others: <see cref="InvalidDataException"/> and decoding errors for the
    /// archive, <see cref="PostgresException"/> (with the table) for the server.
    /// </summary>
    public static async Task<(IReadOnlyDictionary<string, long> Rows, long ArchiveBytes)> RunAsync(ArchiveDataReader first,
        Func<CancellationToken, Task<ArchiveDataReader>> openAnother, int sessions, Task schemaIn,
        Func<CancellationToken, Task<NpgsqlConnection>> connect, IReadOnlyDictionary<string, long> expectedRows,
        Action<TocEntry, bool> loaded, CancellationToken cancellationToken)
    {
        var claimed = new TableClaims(first.Entries, expectedRows, loaded);
        var rows = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var open = Connector(schemaIn, connect);
        var plainTables = new PlainTables();
        var loads = new List<Task<long>> { Task.Run(() => LoadAsync(first, claimed, rows, open, plainTables, stop), stop.Token) };
        for (var i = 1; i < sessions; i++)
            loads.Add(Task.Run(async () =>
            {
                using var another = await openAnother(stop.Token);
                return await LoadAsync(another, claimed, rows, open, plainTables, stop);
            }, stop.Token));

        try
        {
            var lengths = await Task.WhenAll(loads);
            return (rows, lengths.Max());
        }
        catch
        {
            // The first failure, not the cancellations it caused.
            var failed = loads.Where(l => l.IsFaulted).Select(l => l.Exception!.InnerException!).ToList();
            throw failed.FirstOrDefault(e => e is not OperationCanceledException) ?? failed.FirstOrDefault() ?? new OperationCanceledException();
        }
    }

    static async Task<long> LoadAsync(ArchiveDataReader archive, TableClaims claimed, ConcurrentDictionary<string, long> rows,
        Func<CancellationToken, Task<NpgsqlConnection>> connect, PlainTables plainTables, CancellationTokenSource stop)
    {
        var cancellationToken = stop.Token;
        NpgsqlConnection? connection = null;
        try
        {
            while (await archive.NextTableDataAsync(cancellationToken) is { } table)
            {
                if (!claimed.TryClaim(table))
                {
                    // The session that took it goes on past it: this one stops unless enough is left to do beside it.
                    if (!claimed.WorthSkipping(table)) break;
                    await archive.SkipDataAsync(cancellationToken);
                    continue;
                }
                connection ??= await connect(cancellationToken);
                claimed.Loading(+1);
                try
                {
                    rows[table.QualifiedName] = await CopyAsync(archive, table, connection, plainTables, cancellationToken);
                }
                finally
                {
                    claimed.Loading(-1);
                }
                claimed.Loaded(table);
            }
            return archive.BytesRead;
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// A session's connection, opened once the schema is in, with pg_restore's session settings. Until then the sessions
    /// only decode: each reaches the first table it can take (the second one decodes past the table the first took)
    /// while the database is created and the schema restored.
    /// </summary>
    static Func<CancellationToken, Task<NpgsqlConnection>> Connector(Task schemaIn, Func<CancellationToken, Task<NpgsqlConnection>> connect) =>
        async cancellationToken =>
        {
            await schemaIn.WaitAsync(cancellationToken);
            var connection = await connect(cancellationToken);
            try
            {
                await using var settings = new NpgsqlCommand(SessionSettings, connection);
                await settings.ExecuteNonQueryAsync(cancellationToken);
                return connection;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        };

    /// <summary>
    /// One table's COPY: its text straight from the decoder to the server; cancelled (nothing loaded) when anything fails.
    /// A plain table (<paramref name="plainTables"/>) is emptied in the same transaction first, as pg_restore -j does,
    /// and loaded with FREEZE: its rows are written frozen and its pages all-visible, so the index builds that scan it
    /// next, and everyone who reads it later, have no hint bits to set and no pages to write back for them (at scale 60
    /// that is the 800 MB of pgbench_accounts written a second time). Valid since the table is this restore's own and
    /// empty: nobody else can see it before the COPY commits.
    /// </summary>
    static async Task<long> CopyAsync(ArchiveDataReader archive, TocEntry table, NpgsqlConnection connection, PlainTables plainTables,
        CancellationToken cancellationToken)
    {
        var frozen = await plainTables.FreezeAsync(table, connection, cancellationToken);
        await using var transaction = frozen is null ? null : await connection.BeginTransactionAsync(cancellationToken);
        NpgsqlCopyTextWriter writer;
        try
        {
            if (frozen is not null)
            {
                await using var truncate = new NpgsqlCommand($"TRUNCATE ONLY {frozen.Target}", connection, transaction);
                await truncate.ExecuteNonQueryAsync(cancellationToken);
            }
            writer = await connection.BeginTextImportAsync(frozen?.CopyStatement ?? table.CopyStatement!, cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new TableLoadException(table, e);
        }
        long loaded;
        try
        {
            var copy = writer.BaseStream;
            loaded = await archive.CopyDataAsync((bytes, token) => copy.WriteAsync(bytes, token), cancellationToken);
        }
        catch (Exception e)
        {
            // Disposing the writer would end the COPY and keep what was sent: cancel it instead.
            try { await writer.CancelAsync(); } catch (Exception) { /* the connection is going anyway */ }
            throw e is PostgresException postgres ? new TableLoadException(table, postgres) : e;
        }
        try
        {
            await writer.DisposeAsync(); // ends the COPY: the server takes it or says why not
            if (transaction is not null) await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new TableLoadException(table, e);
        }
        return loaded;
    }
}

/// <summary>
/// Which session loads which table: the first to reach a table's data takes it. A session that reaches a table another
/// one took must decode all of it to get past it; that is worth it only while enough of the tables after it are still
/// untaken to be loaded beside it (estimated by the manifest's rows), since the session that took it goes on to them
/// afterwards anyway.
/// </summary>
sealed class TableClaims(IReadOnlyList<TocEntry> entries, IReadOnlyDictionary<string, long> expectedRows, Action<TocEntry, bool> loaded)
{
    /// <summary>Untaken rows after a taken table below this share of its rows: not worth decoding it to get there.</summary>
    const double WorthwhileShare = 0.1;

    readonly List<TocEntry> tables = [.. entries.Where(e => e.IsTableData)];
    readonly ConcurrentDictionary<int, bool> taken = new();
    int loadingNow;

    /// <summary>A session starts (+1) or ends (-1) a table's COPY.</summary>
    public void Loading(int change) => Interlocked.Add(ref loadingNow, change);

    /// <summary>A table's COPY is committed: tells the caller, and whether other tables are loading still.</summary>
    public void Loaded(TocEntry table) => loaded(table, Volatile.Read(ref loadingNow) > 0);

    public bool TryClaim(TocEntry table) => taken.TryAdd(table.DumpId, true);

    public bool WorthSkipping(TocEntry takenTable)
    {
        var after = tables.SkipWhile(t => t.DumpId != takenTable.DumpId).Skip(1).Where(t => !taken.ContainsKey(t.DumpId)).ToList();
        if (after.Count == 0) return false;
        if (!expectedRows.TryGetValue(takenTable.QualifiedName, out var skipped) || after.Any(t => !expectedRows.ContainsKey(t.QualifiedName)))
            return true; // sizes unknown: keep going
        return after.Sum(t => expectedRows[t.QualifiedName]) >= WorthwhileShare * skipped;
    }
}

/// <summary>The server refused one table's data.</summary>
sealed class TableLoadException(TocEntry table, PostgresException error)
    : Exception($"COPY of {table.QualifiedName} failed: {error.MessageText}", error)
{
    public string Table => table.QualifiedName;
}
