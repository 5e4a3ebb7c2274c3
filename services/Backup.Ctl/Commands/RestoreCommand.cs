using System.CommandLine;
using System.Diagnostics;
using System.Net.Sockets;
using Backup.Ctl.Postgres;
using Backup.Ctl.Restore;
using Backup.Ctl.Store;
using Backup.Ctl.Verification;
using Backup.Storage;
using Npgsql;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl restore --store DIR KEY --target-database NAME</c>: verifies the artifact (refusing on any mismatch
/// before touching a database), decodes it into a private temporary file, creates a new database (or, with
/// --overwrite, drops and recreates an existing one), runs pg_restore -j N into it, and compares every manifest
/// table's row count with the restored one.
/// </summary>
public sealed class RestoreCommand : Command
{
    readonly Option<string> store = CommonOptions.Store();
    readonly Argument<string> key = CommonOptions.Key();
    readonly Option<string> targetDatabase = new("--target-database")
    {
        Description = "The database to create and restore into: a plain lower-case identifier. Refused if it exists, unless --overwrite.",
        HelpName = "NAME",
        Required = true,
    };
    readonly Option<string?> host = new("--host") { Description = "Server host or socket folder. Default: PGHOST, else localhost.", HelpName = "HOST" };
    readonly Option<int?> port = new("--port") { Description = "Server port. Default: PGPORT, else 5432.", HelpName = "PORT" };
    readonly Option<string?> username = new("--username") { Description = "Role to connect as; it must be allowed to create databases. Default: PGUSER, else the current user.", HelpName = "USER" };
    readonly Option<string?> passwordFile = new("--password-file")
    {
        Description = "File whose first line is the role's password. Default: the entry in PGPASSFILE or ~/.pgpass. Never give a password on the command line.",
        HelpName = "FILE",
    };
    readonly Option<bool> overwrite = new("--overwrite") { Description = "If the target database exists, drop it (disconnecting its sessions) and recreate it." };
    readonly Option<int> jobs = new("--jobs", "-j") { Description = "pg_restore's parallel jobs.", DefaultValueFactory = _ => 2, HelpName = "N" };
    readonly Option<string?> tempDir = new("--temp-dir")
    {
        Description = "Where the decoded archive is written for pg_restore (in a new 0700 folder, deleted afterwards). Default: TMPDIR or /tmp. Needs room for the uncompressed archive.",
        HelpName = "DIR",
    };
    readonly Option<string?> pgBin = CommonOptions.PgBin();
    readonly DecryptionKeyOptions keys = new();

    public RestoreCommand(Terminal terminal)
        : base("restore", "Verify an artifact, then restore it into a new database and compare its row counts with the manifest.")
    {
        Add(store);
        Add(key);
        Add(targetDatabase);
        Add(host);
        Add(port);
        Add(username);
        Add(passwordFile);
        Add(overwrite);
        Add(jobs);
        Add(tempDir);
        Add(pgBin);
        keys.AddTo(this);
        jobs.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 64)
                result.AddError("--jobs must be between 1 and 64.");
        });
        SetAction(BackupCtl.Guarded(terminal, (result, cancellationToken) => RunAsync(terminal, result, cancellationToken)));
    }

    async Task<int> RunAsync(Terminal terminal, ParseResult result, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var folder = StoreFolder.Open(result.GetValue(store));
        var artifact = StoreFolder.ParseKey(result.GetValue(key));
        var target = DatabaseNames.Validate(result.GetValue(targetDatabase));
        var decryptionKeys = keys.Read(result);
        if (artifact.Encoding == ArtifactEncoding.ZstdOpenPgp && decryptionKeys is null)
            throw CommandFailure.Usage(
                $"{artifact} is encrypted: give --passphrase-file F, or --secret-key-file F (with --secret-key-passphrase-file F when the key has a passphrase).");
        var server = TargetServer.Resolve(result.GetValue(host), result.GetValue(port), result.GetValue(username),
            result.GetValue(passwordFile), warning => terminal.Errors.MarkupLine($"[yellow]warning: {Markup.Escape(warning)}[/]"));
        var tools = PgClientTools.Locate(result.GetValue(pgBin));

        terminal.Out.WriteLine($"Restoring {artifact} into database {target} on {server.Describe()}");
        var manifest = await folder.ReadCompleteAsync(artifact, cancellationToken);
        await HashingProgress.CheckStoredBytesAsync(terminal, folder, artifact, manifest, cancellationToken);

        var exists = await TargetExistsAsync(server, target, cancellationToken);
        if (exists && !result.GetValue(overwrite))
            throw CommandFailure.Database(
                $"Database {target} already exists on {server.Describe()}; nothing was changed. Choose another --target-database, or add --overwrite to drop and recreate it.");

        using var temporary = PrivateTempFolder.Create(result.GetValue(tempDir));
        var archivePath = await DecodeAsync(folder, artifact, manifest, decryptionKeys, tools, temporary, cancellationToken);
        terminal.Out.WriteLine($"  content: a pg_dump custom archive of {Sizes.Describe(new FileInfo(archivePath).Length)} as in the manifest; pg_restore --list read its table of contents");

        await CreateAsync(server, target, dropFirst: exists, cancellationToken);
        terminal.Out.WriteLine(exists ? $"  dropped and recreated database {target} (--overwrite)" : $"  created database {target}");

        await PgRestoreAsync(terminal, tools, server, target, archivePath, temporary, result.GetValue(jobs), cancellationToken);
        temporary.Dispose();

        IReadOnlyList<RowCount> counts;
        await using (var connection = await OpenAsync(server, target, cancellationToken))
            counts = await RowCountComparison.CountAsync(connection, manifest.Tables, cancellationToken);
        WriteCounts(terminal, counts);

        var differing = counts.Count(count => !count.Matches);
        var took = clock.Elapsed.ToString(@"hh\:mm\:ss\.f", System.Globalization.CultureInfo.InvariantCulture);
        if (differing > 0)
        {
            terminal.Errors.MarkupLine(
                $"[red]Restored into {target} in {took}, but {differing} of {counts.Count} tables differ from the manifest's row counts; do not rely on this restore.[/]");
            return ExitCodes.RowCountsDiffer;
        }
        terminal.Out.MarkupLine($"[green]Restored[/] {Markup.Escape(artifact.Value)} into database {target} in {took}: {counts.Count} tables, row counts as in the manifest.");
        return ExitCodes.Ok;
    }

    /// <summary>Decodes the artifact into the private folder while checking it; returns the archive's path.</summary>
    static async Task<string> DecodeAsync(StoreFolder folder, ArtifactKey artifact, ArtifactManifest manifest,
        Backup.Storage.Encryption.DecryptionKeys? decryptionKeys, PgClientTools tools, PrivateTempFolder temporary,
        CancellationToken cancellationToken)
    {
        await using var stored = folder.Store.OpenRead(artifact);
        await using var archive = ArtifactDecoding.OpenArchive(stored, artifact, decryptionKeys);
        await using var file = temporary.CreateFile("archive.dump");
        await ArchiveCheck.RunAsync(archive, artifact, manifest, file, tools, cancellationToken);
        await file.FlushAsync(cancellationToken);
        return file.Name;
    }

    static async Task<bool> TargetExistsAsync(TargetServer server, string target, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(server, "postgres", cancellationToken);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    static async Task CreateAsync(TargetServer server, string target, bool dropFirst, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(server, "postgres", cancellationToken);
        var name = DatabaseNames.Quote(target);
        try
        {
            if (dropFirst)
                await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", cancellationToken);
            // template0: nothing added to template1 on this server can collide with what the archive creates.
            await ExecuteAsync(connection, $"CREATE DATABASE {name} TEMPLATE template0", cancellationToken);
        }
        catch (PostgresException e)
        {
            throw CommandFailure.Database($"Could not {(dropFirst ? "drop and recreate" : "create")} database {target} on {server.Describe()}: {e.MessageText}");
        }
    }

    static async Task PgRestoreAsync(Terminal terminal, PgClientTools tools, TargetServer server, string target, string archivePath,
        PrivateTempFolder temporary, int jobs, CancellationToken cancellationToken)
    {
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
            $"--jobs={jobs}",
            archivePath,
        ];
        terminal.Out.WriteLine($"  running pg_restore --jobs={jobs} ({tools.PgRestore})…");
        using var restore = tools.StartPgRestore(arguments, feedInput: false, passFile);
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
            throw CommandFailure.Database(
                $"pg_restore exited with code {restore.ExitCode}; database {target} is left as it is for inspection (drop it, or run again with --overwrite). " +
                $"pg_restore said: {PgClientTools.Tail(await errors)}");
    }

    static async Task<NpgsqlConnection> OpenAsync(TargetServer server, string database, CancellationToken cancellationToken)
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
            throw CommandFailure.Database(
                $"Could not connect to database {database} on {server.Describe()}: {why}. Check --host, --port and --username, " +
                "and give the password through PGPASSFILE, ~/.pgpass or --password-file.");
        }
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static void WriteCounts(Terminal terminal, IReadOnlyList<RowCount> counts)
    {
        var table = new Table()
            .AddColumn("Table")
            .AddColumn(new TableColumn("Expected").RightAligned())
            .AddColumn(new TableColumn("Restored").RightAligned())
            .AddColumn("OK");
        foreach (var count in counts)
            table.AddRow(
                Markup.Escape(count.Table),
                count.Expected.ToString(System.Globalization.CultureInfo.InvariantCulture),
                count.Restored?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing",
                count.Matches ? "[green]yes[/]" : "[red]NO[/]");
        terminal.Out.Write(table);
    }
}
