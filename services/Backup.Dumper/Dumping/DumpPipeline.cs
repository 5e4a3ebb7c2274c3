using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Backup.Dumper.Options;
using Microsoft.Extensions.Options;
using Npgsql;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Backup.Dumper.Dumping;

/// <summary>
/// One backup in one streaming pass. A session on the source checks credentials and versions and exports a
/// snapshot; pg_dump dumps that snapshot in custom format without its own compression; its output is read once and
/// goes, chunk by chunk, to zstd (worker threads compress beside the copy) and on to <c>destination</c> (the store,
/// through encryption and hashing), while its first bytes also go to <c>pg_restore --list</c>, which reads the
/// archive's table of contents. The archived tables' rows are counted in the same snapshot while the dump runs.
/// Memory stays flat: a fixed buffer, whatever the database's size.
/// </summary>
public sealed partial class DumpPipeline(IOptions<DumperOptions> options, PgDumpTool tools)
{
    static readonly byte[] CustomFormatMagic = "PGDMP"u8.ToArray();

    [GeneratedRegex(@"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex TableDataEntry();

    [GeneratedRegex(@"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex TableEntry();

    public async Task<DumpResult> RunAsync(string sourceName, SourceOptions source, Stream destination,
        CancellationToken cancellationToken)
    {
        (int Major, string Text) pgDump;
        try
        {
            pgDump = await tools.VersionAsync();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                $"Could not run pg_dump ({e.Message}). Check Dumper:PgBinDirectory ('{options.Value.PgBinDirectory}').");
        }

        var where = $"{source.Host}:{source.Port}/{source.Database} as {source.Username}";
        SourceSession session;
        try
        {
            session = await SourceSession.OpenAsync(source, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            return DumpResult.Failure(DumpErrorCodes.AuthenticationFailed,
                $"PostgreSQL refused the credentials of source '{sourceName}' ({where}): {e.MessageText}. Check Sources:{sourceName}:Username and the secret Sources:{sourceName}:Password.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                $"Source '{sourceName}' names database '{source.Database}', which does not exist on {source.Host}:{source.Port}. Check Sources:{sourceName}:Database.");
        }
        catch (PostgresException e)
        {
            return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                $"PostgreSQL refused to open source '{sourceName}' ({where}): {e.SqlState} {e.MessageText}.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return DumpResult.Failure(DumpErrorCodes.ConnectionFailed,
                $"Could not connect to source '{sourceName}' ({where}): {e.Message}. Check that the server is up and Sources:{sourceName}:Host/Port.");
        }

        await using (session)
        {
            if (pgDump.Major < session.ServerMajorVersion)
                return DumpResult.Failure(DumpErrorCodes.VersionMismatch,
                    $"pg_dump {pgDump.Major} is older than the server of source '{sourceName}' (PostgreSQL {session.ServerVersion}); pg_dump must be at least as new as the server. Install postgresql-client-{session.ServerMajorVersion} and point Dumper:PgBinDirectory at its bin folder.");

            var result = await DumpAsync(sourceName, source, session, destination, cancellationToken);
            return result.Succeeded ? result with { ServerVersion = session.ServerVersion, PgDumpVersion = pgDump.Text } : result;
        }
    }

    async Task<DumpResult> DumpAsync(string sourceName, SourceOptions source, SourceSession session, Stream destination,
        CancellationToken cancellationToken)
    {
        var where = $"{source.Host}:{source.Port}/{source.Database} as {source.Username}";
        var passFile = await WritePassFileAsync(source, cancellationToken);
        try
        {
            using var dump = Process.Start(tools.Start("pg_dump", PgDumpArguments.For(source, session.Snapshot), passFile))
                ?? throw new InvalidOperationException("pg_dump did not start.");
            dump.StandardInput.Close();
            using var toc = Process.Start(tools.Start("pg_restore", ["--list"]))
                ?? throw new InvalidOperationException("pg_restore did not start.");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.DumpTimeout);

            var dumpErrors = ReadTailAsync(dump.StandardError, timeout.Token);
            var contents = ReadContentsAsync(toc, timeout.Token);
            var counting = CountAndCheckAsync(session, contents, timeout.Token);

            long raw;
            bool archive;
            try
            {
                (raw, archive) = await CopyCompressedAsync(dump.StandardOutput.BaseStream, toc.StandardInput.BaseStream,
                    destination, timeout.Token);
                await dump.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                dump.Kill(entireProcessTree: true);
                toc.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested) throw;
                return DumpResult.Failure(DumpErrorCodes.TimedOut,
                    $"pg_dump of source '{sourceName}' ran longer than Dumper:DumpTimeout ({options.Value.DumpTimeout}) and was stopped.");
            }

            var errors = await dumpErrors;
            if (dump.ExitCode != 0)
                return Classify(sourceName, where, dump.ExitCode, errors);
            if (raw == 0 || !archive)
                return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                    $"pg_dump of source '{sourceName}' exited 0 but wrote {(raw == 0 ? "nothing" : "something that is not a custom-format archive")}.");

            ArchiveContents archived;
            try
            {
                archived = await contents;
            }
            catch (InvalidDataException e)
            {
                return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                    $"The archive pg_dump wrote for source '{sourceName}' has no readable table of contents: {e.Message}");
            }
            if (archived.TablesWithData.Count == 0)
                return DumpResult.Failure(DumpErrorCodes.DumpFailed,
                    $"The archive of source '{sourceName}' holds no table data: its selection (Sources:{sourceName}:IncludeSchemas, IncludeTables, ExcludeTables) matched no table.");

            var (tables, warnings) = await counting;
            if (warnings.Count > 0 && source.Strict)
                return DumpResult.Failure(DumpErrorCodes.IncompleteSelection,
                    $"Source '{sourceName}' is strict and its backup would not restore cleanly: {string.Join(" ", warnings)} Add the referenced tables to the selection, or turn off Sources:{sourceName}:Strict.");

            return new DumpResult
            {
                RawSizeBytes = raw,
                Tables = tables,
                SchemaOnlyTables = archived.Tables.Except(archived.TablesWithData).Order(StringComparer.Ordinal).ToList(),
                Warnings = warnings,
            };
        }
        finally
        {
            File.Delete(passFile);
        }
    }

    /// <summary>
    /// Copies pg_dump's output once: into zstd and on to the destination, and (until it has read enough and left)
    /// into pg_restore --list. Returns the raw size and whether it starts like a custom-format archive.
    /// </summary>
    async Task<(long Raw, bool Archive)> CopyCompressedAsync(Stream dump, Stream tableOfContents, Stream destination,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        var head = new byte[CustomFormatMagic.Length];
        long raw = 0;
        var teeing = true;
        await using (var zstd = new CompressionStream(destination, options.Value.CompressionLevel, leaveOpen: true))
        {
            // zstd's own content checksum: damage inside the compressed bytes is caught on decompression too.
            zstd.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            if (options.Value.CompressionThreads > 0)
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, options.Value.CompressionThreads);
            int read;
            while ((read = await dump.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (raw < head.Length)
                    buffer.AsSpan(0, (int)Math.Min(read, head.Length - raw)).CopyTo(head.AsSpan((int)raw));
                raw += read;
                if (teeing)
                    teeing = await TryWriteAsync(tableOfContents, buffer.AsMemory(0, read), cancellationToken);
                await zstd.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        if (teeing)
            await TryCloseAsync(tableOfContents);
        return (raw, raw >= head.Length && head.AsSpan().SequenceEqual(CustomFormatMagic));
    }

    // pg_restore --list stops reading once it has the table of contents: writing to it then fails, and that's fine.
    static async Task<bool> TryWriteAsync(Stream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(data, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    static async Task TryCloseAsync(Stream stream)
    {
        try { await stream.DisposeAsync(); } catch (IOException) { }
    }

    sealed record ArchiveContents(IReadOnlySet<string> Tables, IReadOnlySet<string> TablesWithData,
        IReadOnlyList<(string Schema, string Name)> DataEntries);

    async Task<ArchiveContents> ReadContentsAsync(Process toc, CancellationToken cancellationToken)
    {
        var listing = toc.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = toc.StandardError.ReadToEndAsync(cancellationToken);
        await toc.WaitForExitAsync(cancellationToken);
        if (toc.ExitCode != 0)
            throw new InvalidDataException($"pg_restore --list said: {(await errors).Trim()}");
        var text = await listing;
        var data = TableDataEntry().Matches(text).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var tables = TableEntry().Matches(text).Select(m => $"{m.Groups[1].Value}.{m.Groups[2].Value}").ToHashSet(StringComparer.Ordinal);
        return new ArchiveContents(tables, data.Select(d => $"{d.Item1}.{d.Item2}").ToHashSet(StringComparer.Ordinal), data);
    }

    static async Task<(IReadOnlyList<Backup.Storage.ManifestTable>, IReadOnlyList<string>)> CountAndCheckAsync(
        SourceSession session, Task<ArchiveContents> contents, CancellationToken cancellationToken)
    {
        ArchiveContents archived;
        try
        {
            archived = await contents;
        }
        catch (InvalidDataException)
        {
            return ([], []); // reported by the caller
        }
        var counts = await session.CountRowsAsync(archived.DataEntries, cancellationToken);
        var warnings = await session.ForeignKeysLeavingAsync(archived.Tables.ToHashSet(), archived.TablesWithData.ToHashSet(), cancellationToken);
        return (counts, warnings);
    }

    static async Task<string> WritePassFileAsync(SourceOptions source, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"backup-dumper-{Guid.NewGuid():N}.pgpass");
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var writer = new StreamWriter(new FileStream(path, fileOptions));
        await writer.WriteLineAsync(PgDumpArguments.PgPassLine(source).AsMemory(), cancellationToken);
        return path;
    }

    static async Task<string> ReadTailAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = await reader.ReadToEndAsync(cancellationToken);
        // The tail is where pg_dump says why it stopped; the whole reason must fit BackupFailed's 2000 characters.
        return text.Length <= 1200 ? text.Trim() : "…" + text[^1200..].Trim();
    }

    static DumpResult Classify(string sourceName, string where, int exitCode, string stderr)
    {
        if (stderr.Contains("authentication failed", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("no password supplied", StringComparison.OrdinalIgnoreCase))
            return DumpResult.Failure(DumpErrorCodes.AuthenticationFailed,
                $"PostgreSQL refused the credentials of source '{sourceName}' ({where}). Check Sources:{sourceName}:Username and the secret Sources:{sourceName}:Password. pg_dump said: {stderr}");
        if (stderr.Contains("server version mismatch", StringComparison.OrdinalIgnoreCase))
            return DumpResult.Failure(DumpErrorCodes.VersionMismatch,
                $"pg_dump is older than the server of source '{sourceName}'. Point Dumper:PgBinDirectory at a pg_dump at least as new as the server. pg_dump said: {stderr}");
        if (stderr.Contains("could not connect", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("connection refused", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("timeout expired", StringComparison.OrdinalIgnoreCase))
            return DumpResult.Failure(DumpErrorCodes.ConnectionFailed,
                $"pg_dump could not connect to source '{sourceName}' ({where}). pg_dump said: {stderr}");
        return DumpResult.Failure(DumpErrorCodes.DumpFailed,
            $"pg_dump of source '{sourceName}' ({where}) exited with code {exitCode}. pg_dump said: {stderr}");
    }
}
