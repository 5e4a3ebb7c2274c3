using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using System.Text.RegularExpressions;
using System.Net.Sockets;
using Backup.Archive;
using Backup.Recovery.Loading;
using Backup.Recovery.Postgres;
using Backup.Recovery.Restore;
using Backup.Recovery.Verification;
using Backup.Storage;
using Backup.Storage.Encryption;
using Backup.Storage.TempFolders;
using Npgsql;

namespace Backup.Recovery;

/// <summary>
/// One restore of one artifact, as backupctl's restore command and the restorer service run it. The stored bytes are
/// copied into a private temporary folder while they are hashed, and refused on any mismatch with the manifest (size,
/// SHA-256) before anything else; then the copy is decoded and its table of contents read and checked against the
/// manifest, still before any database is touched. Then a new database is created (or, with overwrite, an existing one
/// dropped and recreated), and the archive goes in one of two ways:
/// <list type="bullet">
/// <item>loaded while it decodes (<see cref="TableDataLoad"/>): the schema with pg_restore from the table of contents,
/// each table's COPY text by N sessions straight from their decoders, then indexes, constraints and the rest with
/// pg_restore -j N; each table's restored rows are the rows its committed COPY loaded. No decoded file, no count(*).</item>
/// <item>otherwise (an archive version this code does not read, large objects, an unusual COPY statement, data not in UTF-8):
/// decoded into a file that pg_restore -j N seeks in (<see cref="SeekableArchiveFile"/>), restored, and every manifest
/// table counted with count(*).</item>
/// </list>
/// </summary>
public static partial class ArtifactRestore
{
    const string RestoredMark = "Restored by {0} from ";

    /// <summary>How the comment of every database a restore made starts, whoever made it.</summary>
    internal const string RestoredMarkStart = "Restored by ";

    /// <summary>
    /// Restores <paramref name="key"/> into <paramref name="targetDatabase"/>. Fails with a
    /// <see cref="RecoveryException"/> on the first problem; a restore that ran to its end returns its report, whose
    /// row counts may still differ from the manifest's (<see cref="RestoreReport.RowCountsMatch"/>).
    /// </summary>
    public static async Task<RestoreReport> RunAsync(RestoreSettings settings, ArtifactKey key, string targetDatabase, bool overwrite,
        RestoreProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Jobs, 1);
        progress ??= RestoreProgress.None;
        var clock = Stopwatch.StartNew();
        var (server, caller) = (settings.Server, settings.Caller);
        var target = DatabaseNames.Validate(targetDatabase, caller);
        if (key.Encoding == ArtifactEncoding.ZstdOpenPgp && settings.DecryptionKeys is null)
            throw new RecoveryException(RecoveryErrorCode.DecryptionFailed, $"{key} is encrypted: {caller.GiveDecryptionKeys}.");

        progress.Starting(key, target, server);
        // While the manifest and the stored bytes are checked, the session that holds the target's lock to the end of
        // the restore is opened, takes the lock and looks at the target: all of which change nothing (a fresh process
        // spends ~0.3 s in Npgsql's first connection). It is used only once the checks have passed.
        await using var session = PreparedTarget.Start(() => PrepareAsync(settings, target, overwrite, cancellationToken));
        var manifest = await ManifestCheck.RunAsync(settings.Store, settings.StoreRoot, key, caller, cancellationToken);

        using var temporary = CreateTemporary(settings);

        // What is decoded below is exactly what was hashed (see CheckedBytes).
        CheckedBytes stored = null!;
        await progress.CheckStoredBytesAsync(key, manifest, async hashed => stored = await CheckedBytes.CheckAsync(
            settings.Store, key, manifest, temporary.CreateReadWriteFile, hashed, cancellationToken));
        using var checkedBytes = stored;

        await using var decoded = OpenDecoded(stored, key, settings.DecryptionKeys);
        using var archive = await ReadTableOfContentsAsync(decoded, key, cancellationToken);
        progress.TableOfContentsRead(archive.Entries);

        // Loading while decoding creates the database before the last byte is decoded; so only a new one, which is
        // dropped again when the content fails. An existing database is dropped only after the whole archive decoded.
        if (TableDataLoad.CannotLoadBecause(archive) is null)
        {
            ArchiveCheck.RequireManifestTables(key, manifest, [.. archive.Entries.Where(e => e.IsTableData).Select(e => e.QualifiedName)]);
            var loaded = await LoadWhileDecodingAsync(settings, key, manifest, target, session, archive, stored, temporary, progress, cancellationToken);
            if (loaded is not null) return loaded with { Duration = clock.Elapsed };
        }

        var (maintenance, exists) = await session.ReadyAsync();

        Decoded file;
        await using (var copy = stored.OpenRead())
            file = await DecodeAsync(settings, key, manifest, temporary, copy, cancellationToken);
        progress.ArchiveDecoded(file.Bytes);
        await CreateAsync(maintenance, settings, key, target, dropFirst: exists, cancellationToken);
        progress.DatabaseCreated(target, exists);
        try
        {
            var passFile = WritePassFile(settings, target, temporary);

            progress.PgRestoreStarting(settings.Jobs, settings.Tools.PgRestore);
            await PgRestoreAsync(settings, target, ["--clean", "--if-exists", $"--jobs={settings.Jobs}"], file.Path, passFile, cancellationToken);
            temporary.Dispose();

            // After pg_restore, not beside it: counting a table as soon as its data was in (tried) holds the ACCESS SHARE
            // lock that pg_restore's next step on it, ALTER TABLE … ADD PRIMARY KEY, must wait for, and that index build is
            // the restore's longest step; pg_restore took up to 1.4 s longer at scale 20.
            IReadOnlyList<RowCount> counts;
            await using (var connection = await OpenAsync(server, target, caller, cancellationToken))
                counts = await RowCountComparison.CountAsync(connection, manifest.Tables, cancellationToken);
            return new RestoreReport(key, manifest, target, exists, counts, clock.Elapsed);
        }
        catch (Exception e)
        {
            // No half-restored database is left behind, unless asked for (see FailedRestore).
            if (await FailedRestore.DropOrKeepAsync(settings, maintenance, target, e, progress) is { } reported) throw reported;
            throw;
        }
    }

    /// <summary>
    /// The table data loaded while the archive decodes (<see cref="TableDataLoad"/>): the schema first (pg_restore from
    /// the table of contents alone), then the data in N sessions, then indexes, constraints, sequence values, comments
    /// and privileges with pg_restore -j N. Null when the target turns out to exist: an existing database is not
    /// replaced this way.
    /// </summary>
    static async Task<RestoreReport?> LoadWhileDecodingAsync(RestoreSettings settings, ArtifactKey key, ArtifactManifest manifest,
        string target, PreparedTarget session, ArchiveDataReader archive, CheckedBytes stored, PrivateTempFolder temporary,
        RestoreProgress progress, CancellationToken cancellationToken)
    {
        var schema = await temporary.WriteFileAsync("schema.dump", archive.HeaderAndTableOfContents, cancellationToken);
        var schemaList = await temporary.WriteFileAsync("schema.list", Encoding.ASCII.GetBytes(TableDataLoad.SchemaList(archive)), cancellationToken);

        // No more sessions than tables: another one would only decode the archive for nothing. They start decoding
        // now, while the database is created and the schema restored, and load once it is in.
        var sessions = Math.Clamp(archive.Entries.Count(e => e.IsTableData), 1, settings.Jobs);
        var schemaIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? passFile = null;
        using var ownIndexes = new OwnIndexBuilds(OwnIndexes.Of(archive.Entries), async (own, token) =>
        {
            var list = await temporary.WriteFileAsync($"own-indexes-{own[0].DumpId}.list", Encoding.ASCII.GetBytes(TableDataLoad.List(own)), token);
            await PgRestoreAsync(settings, target, [$"--use-list={list}"], schema, passFile, token);
        }, abandon.Token);
        var loading = LoadTableDataAsync(settings, key, manifest, target, archive, stored, sessions, schemaIn.Task, ownIndexes.TableLoaded, abandon.Token);
        async Task AbandonLoadingAsync()
        {
            await abandon.CancelAsync();
            schemaIn.TrySetCanceled();
            try { await loading; } catch (Exception) { /* abandoned: the failure that made us abandon it is the one to report */ }
        }

        NpgsqlConnection maintenance;
        try
        {
            (maintenance, var exists) = await session.ReadyAsync();
            if (exists)
            {
                await AbandonLoadingAsync();
                return null;
            }
            await CreateAsync(maintenance, settings, key, target, dropFirst: false, cancellationToken);
        }
        catch
        {
            await AbandonLoadingAsync();
            throw;
        }
        progress.DatabaseCreated(target, recreated: false);

        try
        {
            try
            {
                passFile = WritePassFile(settings, target, temporary);
                await PgRestoreAsync(settings, target, ["--clean", "--if-exists", $"--use-list={schemaList}"], schema, passFile, cancellationToken);
            }
            catch
            {
                await AbandonLoadingAsync();
                throw;
            }
            progress.LoadingStarted(sessions);
            schemaIn.SetResult();

            IReadOnlyDictionary<string, long> rows;
            long raw;
            try
            {
                (rows, raw) = await loading;
                await ownIndexes.WaitAsync();
            }
            catch
            {
                await ownIndexes.AbandonAsync();
                throw;
            }
            progress.ArchiveDecoded(raw);

            progress.PgRestoreStarting(settings.Jobs, settings.Tools.PgRestore);
            var done = ownIndexes.Built;
            var afterDataList = await temporary.WriteFileAsync("after-data.list",
                Encoding.ASCII.GetBytes(TableDataLoad.List(TableDataLoad.AfterData(archive).Where(e => !done.Contains(e.DumpId)))), cancellationToken);
            await PgRestoreAsync(settings, target, [$"--use-list={afterDataList}", $"--jobs={settings.Jobs}"], schema, passFile, cancellationToken);
            var counts = manifest.Tables
                .Select(t => new RowCount(t.Schema, t.Name, t.Rows, rows.TryGetValue($"{t.Schema}.{t.Name}", out var loaded) ? loaded : null))
                .ToList();
            return new RestoreReport(key, manifest, target, Recreated: false, counts, TimeSpan.Zero);
        }
        catch (Exception e)
        {
            // Whatever failed (pg_restore, a COPY, the connection, the artifact's content found bad while it loads, a
            // cancellation), no half-restored database is left behind unless asked for (see FailedRestore).
            if (await FailedRestore.DropOrKeepAsync(settings, maintenance, target, e, progress) is { } reported) throw reported;
            throw;
        }
    }

    /// <summary><see cref="TableDataLoad.RunAsync"/>, with its failures as the operator should read them.</summary>
    static async Task<(IReadOnlyDictionary<string, long> Rows, long ArchiveBytes)> LoadTableDataAsync(RestoreSettings settings,
        ArtifactKey key, ArtifactManifest manifest, string target, ArchiveDataReader archive, CheckedBytes stored, int sessions,
        Task schemaIn, Action<TocEntry, bool> tableLoaded, CancellationToken cancellationToken)
    {
        var (server, caller) = (settings.Server, settings.Caller);
        (IReadOnlyDictionary<string, long> Rows, long ArchiveBytes) loaded;
        try
        {
            loaded = await TableDataLoad.RunAsync(archive,
                async token => await ArchiveDataReader.OpenAsync(
                    OpenDecoded(stored, key, settings.DecryptionKeys), token, ownsStream: true),
                sessions,
                schemaIn,
                async token =>
                {
                    var connection = server.Connect(target, commandTimeout: 0);
                    await connection.OpenAsync(token);
                    return connection;
                },
                manifest.Tables.ToDictionary(t => $"{t.Schema}.{t.Name}", t => t.Rows, StringComparer.Ordinal),
                tableLoaded,
                cancellationToken);
        }
        catch (TableLoadException e)
        {
            throw new RecoveryException(RecoveryErrorCode.RestoreFailed, $"{e.Message}.");
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new RecoveryException(RecoveryErrorCode.ConnectionFailed,
                $"Lost the connection to database {target} on {server.Describe()} while loading its data: {e.Message}. {caller.CheckConnection}");
        }
        catch (InvalidDataException e)
        {
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                $"Unreadable archive: {key} decodes to a pg_dump archive whose data can't be read: {e.Message} Do not restore it.");
        }
        catch (Exception e) when (ArtifactDecoding.IsDecodingError(e))
        {
            throw ArtifactDecoding.Explain(e, key);
        }
        if (manifest.RawSizeBytes > 0 && loaded.ArchiveBytes != manifest.RawSizeBytes)
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                $"Wrong archive size: {key} decompresses to {loaded.ArchiveBytes:N0} bytes but its manifest says pg_dump wrote {manifest.RawSizeBytes:N0}. Do not restore it.");
        return loaded;
    }

    /// <summary>
    /// The restore's private folder (0700, locked while the restore runs, so a sweep removes it only once this process
    /// is gone: <see cref="TempFolderSweep"/>).
    /// </summary>
    static PrivateTempFolder CreateTemporary(RestoreSettings settings)
    {
        try
        {
            return PrivateTempFolder.Create(settings.TempDirectory, settings.Caller.Name);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new RecoveryException(RecoveryErrorCode.InvalidRequest, $"{settings.Caller.TempDirectory} {e.Message}");
        }
    }

    /// <summary>The decrypted and decompressed archive of the checked bytes, read from their start (the reader holds nothing to release).</summary>
    static Stream OpenDecoded(CheckedBytes stored, ArtifactKey key, DecryptionKeys? keys) =>
        ArtifactDecoding.OpenArchive(stored.OpenRead(), key, keys);

    /// <summary>The archive's header and table of contents, read from the decoded bytes; its problems as the operator should read them.</summary>
    static async Task<ArchiveDataReader> ReadTableOfContentsAsync(Stream decoded, ArtifactKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await ArchiveDataReader.OpenAsync(decoded, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException && e.Message.StartsWith("Not a pg_dump", StringComparison.Ordinal))
        {
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                $"Not a pg_dump archive: {key} decodes to something else ({e.Message}) It was not made by the dumper, or was damaged before it was hashed. Do not restore it.");
        }
        catch (InvalidDataException e)
        {
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                $"Unreadable archive: {key} decodes to a pg_dump archive whose table of contents can't be read: {e.Message} Do not restore it.");
        }
        catch (Exception e) when (ArtifactDecoding.IsDecodingError(e))
        {
            throw ArtifactDecoding.Explain(e, key);
        }
    }

    static string? WritePassFile(RestoreSettings settings, string target, PrivateTempFolder temporary) =>
        settings.Server.PasswordFor(target) is { } password
            ? PgPassFile.WriteTemporary(temporary.Path, target, settings.Server.Username, password)
            : null;

    /// <summary>The maintenance session, with the target's lock taken; and whether the target exists (and may be overwritten).</summary>
    static async Task<(NpgsqlConnection Session, bool Exists)> PrepareAsync(RestoreSettings settings, string target, bool overwrite,
        CancellationToken cancellationToken)
    {
        var server = settings.Server;
        var maintenance = await OpenAsync(server, server.MaintenanceDatabase, settings.Caller, cancellationToken);
        try
        {
            await TargetLock.TakeAsync(maintenance, target, server.Describe(), cancellationToken);
            return (maintenance, await TargetExistsAsync(maintenance, settings, target, overwrite, cancellationToken));
        }
        catch
        {
            await maintenance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Whether the target exists; fails when it does and may not be overwritten.</summary>
    static async Task<bool> TargetExistsAsync(NpgsqlConnection connection, RestoreSettings settings, string target, bool overwrite,
        CancellationToken cancellationToken)
    {
        var (server, caller) = (settings.Server, settings.Caller);
        await using var command = new NpgsqlCommand(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return false;
        var comment = await reader.IsDBNullAsync(0, cancellationToken) ? null : reader.GetString(0);

        if (!overwrite)
            throw new RecoveryException(RecoveryErrorCode.TargetExists,
                $"Database {target} already exists on {server.Describe()}; nothing was changed. {caller.ChooseAnotherTarget}");
        if (settings.OverwriteOnlyRestoredDatabases && comment?.StartsWith(Mark(caller), StringComparison.Ordinal) != true)
            throw new RecoveryException(RecoveryErrorCode.TargetExists,
                $"Database {target} already exists on {server.Describe()} and was not made by a restore of {caller.Name}; nothing was changed. " +
                $"Only databases it restored are overwritten: choose another {caller.TargetDatabase}, or drop {target} first.");
        return true;
    }

    /// <summary>The decoded archive: its file and its length.</summary>
    sealed record Decoded(string Path, long Bytes);

    /// <summary>
    /// Decodes the checked bytes (their SHA-256 already matched the manifest) into the private folder and checks the
    /// decoded archive; returns it. The file is written through <see cref="SeekableArchiveFile"/> (chunks merged, data
    /// offsets in the table of contents), so pg_restore's -j workers seek straight to each table's data. The archive
    /// reader reads the table of contents and every data block to its end marker, so no pg_restore --list is needed:
    /// only an archive whose version it does not read (copied as it is) is listed with pg_restore --list afterwards.
    /// </summary>
    static async Task<Decoded> DecodeAsync(RestoreSettings settings, ArtifactKey key, ArtifactManifest manifest,
        PrivateTempFolder temporary, Stream stored, CancellationToken cancellationToken)
    {
        var (path, written) = await WriteArchiveAsync(settings, key, manifest, stored, temporary, cancellationToken);
        var tables = written.Rewritten
            ? written.TablesWithData.ToList()
            : await ArchiveCheck.ListTablesWithDataAsync(settings.Tools, path, key, cancellationToken);
        ArchiveCheck.RequireManifestTables(key, manifest, tables);
        return new Decoded(path, written.BytesWritten);
    }

    static async Task<(string Path, RewrittenArchive Written)> WriteArchiveAsync(RestoreSettings settings, ArtifactKey key,
        ArtifactManifest manifest, Stream stored, PrivateTempFolder temporary, CancellationToken cancellationToken)
    {
        await using var archive = ArtifactDecoding.OpenArchive(stored, key, settings.DecryptionKeys);
        await using var file = temporary.CreateFile("archive.dump");
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
        var writing = Task.Run(async () =>
        {
            await using var decoded = pipe.Reader.AsStream();
            return await SeekableArchiveFile.WriteAsync(decoded, file, cancellationToken);
        }, cancellationToken);
        try
        {
            await using (var copy = pipe.Writer.AsStream())
                await ArchiveCheck.RunAsync(archive, key, manifest, copy, tools: null, cancellationToken);
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            await Task.WhenAny(writing);
            throw;
        }
        try
        {
            return (file.Name, await writing);
        }
        catch (InvalidDataException e)
        {
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                $"Unreadable archive: {key} decodes to a pg_dump archive whose data can't be read: {e.Message} Do not restore it.");
        }
    }

    /// <summary>Creates the target (first dropping it, with <paramref name="dropFirst"/>) on the maintenance session that holds its lock.</summary>
    static async Task CreateAsync(NpgsqlConnection connection, RestoreSettings settings, ArtifactKey key, string target, bool dropFirst,
        CancellationToken cancellationToken)
    {
        var (server, caller) = (settings.Server, settings.Caller);
        var name = DatabaseNames.Quote(target);
        try
        {
            if (dropFirst)
                await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", cancellationToken);
            // template0: nothing added to template1 on this server can collide with what the archive creates.
            await ExecuteAsync(connection, $"CREATE DATABASE {name} TEMPLATE template0", cancellationToken);
            if (settings.OverwriteOnlyRestoredDatabases)
                await ExecuteAsync(connection, $"COMMENT ON DATABASE {name} IS {QuoteLiteral(Mark(caller) + key.Value)}", cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"Could not {(dropFirst ? "drop and recreate" : "create")} database {target} on {server.Describe()}: {e.MessageText}");
        }
    }

    /// <summary>pg_restore of <paramref name="archivePath"/> into the target with <paramref name="options"/>, as the README's stock-tools line restores.</summary>
    static async Task PgRestoreAsync(RestoreSettings settings, string target, IEnumerable<string> options, string archivePath,
        string? passFile, CancellationToken cancellationToken)
    {
        var server = settings.Server;
        string[] arguments =
        [
            $"--host={server.Host}",
            $"--port={server.Port}",
            $"--username={server.Username}",
            "--no-password",
            $"--dbname={target}",
            // As the README's stock-tools line: the roles of the source need not exist here (the restoring role owns
            // everything, and no grant is restored) unless they are to be kept; and a dump limited to named schemas
            // recreates "public", which the new database already has (hence --clean --if-exists).
            .. settings.KeepPrivileges ? Array.Empty<string>() : ["--no-owner", "--no-privileges"],
            "--exit-on-error",
            .. options,
            archivePath,
        ];
        using var restore = settings.Tools.StartPgRestore(arguments, feedInput: false, passFile, server.Tls);
        var output = restore.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = restore.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await restore.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            restore.Kill(entireProcessTree: true);
            throw;
        }
        await output;
        if (restore.ExitCode != 0)
        {
            var said = await errors;
            var missingRoles = settings.KeepPrivileges && MissingRole().IsMatch(said)
                ? $" The archive's owners and grants name roles that {server.Describe()} does not have: restore without {settings.Caller.KeepPrivileges}, or create those roles first."
                : "";
            throw new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"pg_restore exited with code {restore.ExitCode} in database {target}. pg_restore said: {PgRestoreErrors.Summarize(said)}{missingRoles}",
                said);
        }
    }

    /// <summary>The server's error for a role that does not exist, as pg_restore passes it on.</summary>
    [GeneratedRegex(@"ERROR:\s+role "".*"" does not exist", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRole();

    static async Task<NpgsqlConnection> OpenAsync(TargetServer server, string database, RecoveryCaller caller, CancellationToken cancellationToken)
    {
        var connection = server.Connect(database);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            var why = e is PostgresException postgres ? postgres.MessageText
                : PgTls.HandshakeProblem(e) is { } handshake ? $"{handshake} with SslMode {server.Tls.Mode} and root certificate file '{server.Tls.RootCertificateFile}'"
                : e.Message;
            throw new RecoveryException(RecoveryErrorCode.ConnectionFailed,
                $"Could not connect to database {database} on {server.Describe()}: {why}. {caller.CheckConnection}");
        }
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static string Mark(RecoveryCaller caller) => string.Format(System.Globalization.CultureInfo.InvariantCulture, RestoredMark, caller.Name);

    /// <summary>A string literal for SQL: '…' with any "'" doubled (standard_conforming_strings is on since PostgreSQL 9.1).</summary>
    static string QuoteLiteral(string value) => "'" + value.Replace("'", "''") + "'";
}
