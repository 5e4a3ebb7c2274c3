using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using Backup.Archive;
using Backup.Recovery.Postgres;
using Backup.Recovery.Restore;
using Backup.Recovery.Verification;
using Backup.Storage;
using Npgsql;

namespace Backup.Recovery;

/// <summary>
/// One restore of one artifact, as backupctl's restore command and the restorer service run it: reads the stored
/// bytes once, hashing them while it decodes them into a private temporary file that pg_restore -j can seek in (see
/// <see cref="SeekableArchiveFile"/>), and refuses on any mismatch (size, SHA-256, archive) before touching a
/// database; then creates a new database (or, with overwrite, drops and recreates an existing one), runs pg_restore
/// -j N into it, and counts every manifest table's rows there.
/// </summary>
public static class ArtifactRestore
{
    const string RestoredMark = "Restored by {0} from ";

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
        var manifest = await ManifestCheck.RunAsync(settings.Store, settings.StoreRoot, key, caller, cancellationToken);

        // One pass over the stored bytes: hashed, decoded and written to the private file together. The SHA-256 is
        // checked at the end of that pass, before any database is looked at, created or changed.
        using var temporary = PrivateTempFolder.Create(settings.TempDirectory, caller);
        // Meanwhile one connection is opened and closed again: a fresh process spends ~0.3 s in Npgsql's first
        // connection. It reads and changes nothing; no session is held while the bytes are checked.
        // Not awaited: it never fails, and a failed check must not wait for a slow server.
        _ = WarmUpAsync(server, caller, cancellationToken);
        Decoded decoded = null!;
        await progress.CheckStoredBytesAsync(key, manifest,
            async hashed => decoded = await DecodeAsync(settings, key, manifest, temporary, hashed, cancellationToken));
        progress.ArchiveDecoded(decoded.Bytes);

        // Held to the end of the restore: the target lock lives as long as this session.
        await using var maintenance = await OpenAsync(server, server.MaintenanceDatabase, caller, cancellationToken);
        await TargetLock.TakeAsync(maintenance, target, server.Describe(), cancellationToken);
        var exists = await TargetExistsAsync(maintenance, settings, target, overwrite, cancellationToken);

        await CreateAsync(settings, key, target, dropFirst: exists, cancellationToken);
        progress.DatabaseCreated(target, exists);

        progress.PgRestoreStarting(settings.Jobs, settings.Tools.PgRestore);
        await PgRestoreAsync(settings, target, decoded.Path, temporary, cancellationToken);
        temporary.Dispose();

        // After pg_restore, not beside it: counting a table as soon as its data was in (tried) holds the ACCESS SHARE
        // lock that pg_restore's next step on it, ALTER TABLE … ADD PRIMARY KEY, must wait for, and that index build is
        // the restore's longest step; pg_restore took up to 1.4 s longer at scale 20.
        IReadOnlyList<RowCount> counts;
        await using (var connection = await OpenAsync(server, target, caller, cancellationToken))
            counts = await RowCountComparison.CountAsync(connection, manifest.Tables, cancellationToken);
        return new RestoreReport(key, manifest, target, exists, counts, clock.Elapsed);
    }

    /// <summary>Opens and closes a connection to the maintenance database; never fails (the real connection reports why).</summary>
    static async Task WarmUpAsync(TargetServer server, RecoveryCaller caller, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await using var connection = await OpenAsync(server, server.MaintenanceDatabase, caller, cancellationToken);
        }
        catch (Exception e) when (e is RecoveryException or OperationCanceledException)
        {
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
    /// Reads the stored bytes once: hashes them (size first, SHA-256 at the end, as <see cref="StoredBytesCheck"/>) while
    /// decoding them into the private folder, and checks the decoded archive; returns it. The file is written through
    /// <see cref="SeekableArchiveFile"/> (chunks merged, data offsets in the table of contents), so pg_restore's -j
    /// workers seek straight to each table's data. The archive reader reads the table of contents and every data block
    /// to its end marker, so no pg_restore --list is needed: only an archive whose version it does not read (copied
    /// as it is) is listed with pg_restore --list afterwards. A stored file whose SHA-256 differs fails as such, even
    /// when its bytes also fail to decode; the decoding failure is reported only for bytes the manifest vouches for.
    /// </summary>
    static async Task<Decoded> DecodeAsync(RestoreSettings settings, ArtifactKey key, ArtifactManifest manifest,
        PrivateTempFolder temporary, IProgress<long>? hashed, CancellationToken cancellationToken)
    {
        await using var stored = await settings.Store.OpenReadAsync(key, cancellationToken);
        var hashing = StoredBytesCheck.Open(stored, key, manifest, hashed);
        string path;
        RewrittenArchive written;
        try
        {
            (path, written) = await WriteArchiveAsync(settings, key, manifest, hashing, temporary, cancellationToken);
        }
        catch (RecoveryException)
        {
            await hashing.CheckAsync(cancellationToken); // a hash mismatch says more than the decoding failure it caused
            throw;
        }
        await hashing.CheckAsync(cancellationToken);

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

    static async Task CreateAsync(RestoreSettings settings, ArtifactKey key, string target, bool dropFirst, CancellationToken cancellationToken)
    {
        var (server, caller) = (settings.Server, settings.Caller);
        await using var connection = await OpenAsync(server, server.MaintenanceDatabase, caller, cancellationToken);
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

    static async Task PgRestoreAsync(RestoreSettings settings, string target, string archivePath, PrivateTempFolder temporary,
        CancellationToken cancellationToken)
    {
        var server = settings.Server;
        var password = server.PasswordFor(target);
        var passFile = password is null ? null : PgPassFile.WriteTemporary(temporary.Path, target, server.Username, password);
        string[] arguments =
        [
            $"--host={server.Host}",
            $"--port={server.Port}",
            $"--username={server.Username}",
            "--no-password",
            $"--dbname={target}",
            // As the README's stock-tools line: roles of the source need not exist here, and a dump limited to
            // named schemas recreates "public", which the new database already has.
            "--no-owner",
            "--clean",
            "--if-exists",
            "--exit-on-error",
            $"--jobs={settings.Jobs}",
            archivePath,
        ];
        using var restore = settings.Tools.StartPgRestore(arguments, feedInput: false, passFile);
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
            throw new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"pg_restore exited with code {restore.ExitCode}; database {target} is left as it is for inspection ({settings.Caller.AfterFailedRestore}). " +
                $"pg_restore said: {PgClientTools.Tail(await errors)}");
    }

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
            var why = e is PostgresException postgres ? postgres.MessageText : e.Message;
            throw new RecoveryException(RecoveryErrorCode.ConnectionFailed,
                $"Could not connect to database {database} on {server.Describe()}: {why}. {caller.CheckConnection}");
        }
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static string Mark(RecoveryCaller caller) => string.Format(System.Globalization.CultureInfo.InvariantCulture, RestoredMark, caller.Name);

    /// <summary>A string literal for SQL: '…' with any "'" doubled (standard_conforming_strings is on since PostgreSQL 9.1).</summary>
    static string QuoteLiteral(string value) => "'" + value.Replace("'", "''") + "'";
}
