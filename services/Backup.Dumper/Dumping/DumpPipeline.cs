using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Backup.Archive;
using Backup.Dumper.Options;
using Backup.Storage.Compression;
using Backup.Storage.TempFolders;
using Microsoft.Extensions.Options;
using Npgsql;
using Backup.Contracts;

namespace Backup.Dumper.Dumping;

/// <summary>
/// One backup in one streaming pass. A session on the source checks credentials and versions and exports a
/// snapshot; pg_dump dumps that snapshot in custom format without its own compression; its output is read once and
/// goes through <see cref="ArchiveRewriter"/>, which reads its table of contents, merges pg_dump's one-chunk-per-row
/// data into ~1 MiB chunks and counts every table's rows as they pass, to zstd (worker threads compress beside the
/// copy) and on to <c>destination</c> (the store, through encryption and hashing). The foreign-key check runs in the
/// same snapshot. Memory stays flat: fixed buffers, whatever the database's size.
/// </summary>
public sealed class DumpPipeline(IOptions<DumperOptions> options, PgDumpTool tools)
{
    /// <summary>
    /// Input per zstd compression job with worker threads. zstd's default at level 3 is 8 MiB, and it holds about four
    /// jobs' worth of input plus their output (~40 MB of native memory per dump); at 4 MiB that is ~20 MB less, and
    /// the artifact is as small (deploy/bench/README.md, "Memory"). 1 MiB would cost 1% in size.
    /// </summary>
    const int ZstdJobBytes = 4 << 20;

    /// <summary>
    /// The prefix of each dump's private temp folder (<see cref="PrivateTempFolder"/>), which holds its PGPASSFILE
    /// for as long as pg_dump runs; the folders of killed dumpers are swept at start (<see cref="TempFolderSweeper"/>).
    /// </summary>
    public const string TempFolderOwner = "backup-dumper";

    static DumpPipeline() => MallocSettings.Apply();

    public async Task<DumpResult> RunAsync(string sourceName, SourceOptions source, Stream destination,
        CancellationToken cancellationToken)
    {
        try
        {
            return await RunOnceAsync(sourceName, source, destination, cancellationToken);
        }
        finally
        {
            ReleaseMemory();
        }
    }

    /// <summary>
    /// After each dump, one full compacting collection that gives free memory back to the system. A dump leaves some
    /// MB of garbage behind (Npgsql, the job's messages, pg_dump's output pipe, the archive's table of contents);
    /// left to itself the GC let the heap grow by 2–3 MB with each dump for the first eight or so, and that came on
    /// top of the next dump's peak (zstd's buffers). With it the heap is back to ~7 MB after every dump; the pause is
    /// milliseconds, once per dump.
    /// </summary>
    static void ReleaseMemory() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    async Task<DumpResult> RunOnceAsync(string sourceName, SourceOptions source, Stream destination,
        CancellationToken cancellationToken)
    {
        (int Major, string Text) pgDump;
        try
        {
            pgDump = await tools.VersionAsync();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return DumpResult.Failure(BackupErrorCodes.DumpFailed,
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
            return DumpResult.Failure(BackupErrorCodes.AuthenticationFailed,
                $"PostgreSQL refused the credentials of source '{sourceName}' ({where}): {e.MessageText}. Check Sources:{sourceName}:Username and the secret Sources:{sourceName}:Password.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return DumpResult.Failure(BackupErrorCodes.DumpFailed,
                $"Source '{sourceName}' names database '{source.Database}', which does not exist on {source.Host}:{source.Port}. Check Sources:{sourceName}:Database.");
        }
        catch (PostgresException e)
        {
            return DumpResult.Failure(BackupErrorCodes.DumpFailed,
                $"PostgreSQL refused to open source '{sourceName}' ({where}): {e.SqlState} {e.MessageText}.");
        }
        catch (NpgsqlException e) when (PgTls.HandshakeProblem(e) is { } handshake)
        {
            // The server failed to prove who it is: trying again changes nothing, as with refused credentials.
            return DumpResult.Failure(BackupErrorCodes.AuthenticationFailed,
                $"Could not connect to source '{sourceName}' ({where}) with SslMode {source.SslMode}: {handshake}. Check that Sources:{sourceName}:RootCertificateFile ('{source.RootCertificateFile}') holds the CA that signed the server's certificate, and with VerifyFull that the certificate names Sources:{sourceName}:Host.");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return DumpResult.Failure(BackupErrorCodes.ConnectionFailed,
                $"Could not connect to source '{sourceName}' ({where}): {e.Message}. Check that the server is up and Sources:{sourceName}:Host/Port.");
        }

        await using (session)
        {
            if (pgDump.Major < session.ServerMajorVersion)
                return DumpResult.Failure(BackupErrorCodes.VersionMismatch,
                    $"pg_dump {pgDump.Major} is older than the server of source '{sourceName}' (PostgreSQL {session.ServerVersion}); pg_dump must be at least as new as the server. Install postgresql-client-{session.ServerMajorVersion} and point Dumper:PgBinDirectory at its bin folder.");

            var result = await DumpAsync(sourceName, source, session, destination, cancellationToken);
            return result.Succeeded ? result with { ServerVersion = session.ServerVersion, PgDumpVersion = pgDump.Text } : result;
        }
    }

    async Task<DumpResult> DumpAsync(string sourceName, SourceOptions source, SourceSession session, Stream destination,
        CancellationToken cancellationToken)
    {
        var where = $"{source.Host}:{source.Port}/{source.Database} as {source.Username}";
        PrivateTempFolder temporary;
        try
        {
            temporary = PrivateTempFolder.Create(options.Value.TempDirectory, TempFolderOwner);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DumpResult.Failure(BackupErrorCodes.DumpFailed,
                $"Could not make the dump's private temp folder: {e.Message} Check Dumper:TempDirectory ('{options.Value.TempDirectory}', empty: the system's temp folder).");
        }
        using (temporary)
        {
            var passFile = await temporary.WriteFileAsync("pgpass", Encoding.UTF8.GetBytes(PgDumpArguments.PgPassLine(source) + "\n"), cancellationToken);
            using var dump = Process.Start(tools.Start("pg_dump", PgDumpArguments.For(source, session.Snapshot), passFile, source.Tls))
                ?? throw new InvalidOperationException("pg_dump did not start.");
            dump.StandardInput.Close();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.DumpTimeout);

            var dumpErrors = ReadTailAsync(dump.StandardError, timeout.Token);
            RewrittenArchive? archive = null;
            InvalidDataException? unreadable = null;
            var stoppedByUs = false;
            // The output is read blocking (BlockingReads), which a token can't interrupt: a timeout or a shutdown stops
            // pg_dump instead, and the read ends there (a cut archive, then the OperationCanceledException below).
            using var stopOnCancel = timeout.Token.Register(static dump => Stop((Process)dump!), dump);
            try
            {
                try
                {
                    archive = await CompressAsync(BlockingReads.Of(dump.StandardOutput.BaseStream), destination, timeout.Token);
                }
                catch (InvalidDataException e)
                {
                    unreadable = e;
                    stoppedByUs = await StopAsync(dump, timeout.Token);
                }
                await dump.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
            }

            // Stopped by the timeout or a shutdown, however the read ended (a cut archive, or an exit already seen).
            if (timeout.IsCancellationRequested)
            {
                Stop(dump);
                cancellationToken.ThrowIfCancellationRequested();
                return DumpResult.Failure(BackupErrorCodes.TimedOut,
                    $"pg_dump of source '{sourceName}' ran longer than Dumper:DumpTimeout ({options.Value.DumpTimeout}) and was stopped.");
            }

            var errors = await dumpErrors;
            if (dump.ExitCode != 0 && !(unreadable is not null && stoppedByUs))
                return Classify(sourceName, where, dump.ExitCode, errors);
            if (archive is null)
                return DumpResult.Failure(BackupErrorCodes.DumpFailed,
                    $"pg_dump of source '{sourceName}' wrote an archive the dumper could not read: {unreadable!.Message}");
            if (archive.TablesWithData.Count == 0)
                return DumpResult.Failure(BackupErrorCodes.DumpFailed,
                    $"The archive of source '{sourceName}' holds no table data: its selection (Sources:{sourceName}:IncludeSchemas, IncludeTables, ExcludeTables) matched no table.");

            // The rows were counted in the archive itself; the foreign keys are checked in the dump's snapshot.
            var tables = archive.TableRows.Select(t => new Backup.Storage.ManifestTable(t.Schema, t.Name, t.Rows)).ToList();
            var warnings = await session.ForeignKeysLeavingAsync(archive.Tables.ToHashSet(), archive.TablesWithData.ToHashSet(), cancellationToken);
            if (warnings.Count > 0 && source.Strict)
                return DumpResult.Failure(BackupErrorCodes.IncompleteSelection,
                    $"Source '{sourceName}' is strict and its backup would not restore cleanly: {string.Join(" ", warnings)} Add the referenced tables to the selection, or turn off Sources:{sourceName}:Strict.");

            return new DumpResult
            {
                RawSizeBytes = archive.BytesWritten,
                Tables = tables,
                SchemaOnlyTables = archive.Tables.Except(archive.TablesWithData).Order(StringComparer.Ordinal).ToList(),
                Warnings = warnings,
            };
        }
    }

    static void Stop(Process dump)
    {
        try
        {
            dump.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// After an unreadable archive: pg_dump that is still writing is stopped; one that has closed its output (a cut
    /// archive) is given a moment to exit with its own reason. Returns whether it had to be stopped.
    /// </summary>
    static async Task<bool> StopAsync(Process dump, CancellationToken cancellationToken)
    {
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await dump.WaitForExitAsync(grace.Token);
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            dump.Kill(entireProcessTree: true);
            return true;
        }
    }

    /// <summary>
    /// Reads pg_dump's output once, through <see cref="ArchiveRewriter"/> (its chunks merged, its rows counted) into
    /// zstd and on to the destination.
    /// </summary>
    async Task<RewrittenArchive> CompressAsync(Stream dump, Stream destination, CancellationToken cancellationToken)
    {
        await using var zstd = NativeZstdCompression.Open(destination, options.Value.CompressionLevel, options.Value.CompressionThreads,
            ZstdJobBytes);
        return await ArchiveRewriter.RewriteAsync(dump, (bytes, token) => zstd.WriteAsync(bytes, token), copyUnreadable: false,
            cancellationToken);
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
            return DumpResult.Failure(BackupErrorCodes.AuthenticationFailed,
                $"PostgreSQL refused the credentials of source '{sourceName}' ({where}). Check Sources:{sourceName}:Username and the secret Sources:{sourceName}:Password. pg_dump said: {stderr}");
        if (stderr.Contains("server version mismatch", StringComparison.OrdinalIgnoreCase))
            return DumpResult.Failure(BackupErrorCodes.VersionMismatch,
                $"pg_dump is older than the server of source '{sourceName}'. Point Dumper:PgBinDirectory at a pg_dump at least as new as the server. pg_dump said: {stderr}");
        if (stderr.Contains("could not connect", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("connection refused", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("timeout expired", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("SSL error", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("root certificate", StringComparison.OrdinalIgnoreCase))
            return DumpResult.Failure(BackupErrorCodes.ConnectionFailed,
                $"pg_dump could not connect to source '{sourceName}' ({where}). pg_dump said: {stderr}");
        return DumpResult.Failure(BackupErrorCodes.DumpFailed,
            $"pg_dump of source '{sourceName}' ({where}) exited with code {exitCode}. pg_dump said: {stderr}");
    }
}
