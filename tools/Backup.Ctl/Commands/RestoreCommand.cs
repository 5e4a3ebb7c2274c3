using System.CommandLine;
using System.Globalization;
using Backup.Ctl.Store;
using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Recovery.Restore;
using Backup.Storage;
using Backup.Storage.TempFolders;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl restore --store DIR KEY --target-database NAME</c>: verifies the artifact while it decodes it into a
/// private temporary file (refusing on any mismatch before touching a database), creates a new database (or, with
/// --overwrite, drops and recreates an existing one), runs pg_restore -j N into it (without owners and grants unless
/// --keep-privileges), and compares every manifest table's row count with the restored one; a restore that fails after
/// the database was created drops it again, unless --keep-failed. The restore itself is <see cref="ArtifactRestore"/>, which the restorer
/// service runs too; this command reads the command line and prints each step.
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
    readonly ServerOptions server = new();
    readonly Option<bool> overwrite = new("--overwrite") { Description = "If the target database exists, drop it (disconnecting its sessions) and recreate it." };
    readonly Option<bool> keepPrivileges = new("--keep-privileges")
    {
        Description = "Restore the archive's owners and grants (ALTER ... OWNER TO, GRANT); every role they name must exist on the target server. " +
            "Without it the connecting role owns everything and no grant is restored, so the archive restores onto a server that has none of the source's roles.",
    };
    readonly Option<bool> keepFailed = new("--keep-failed")
    {
        Description = "Keep the database of a restore that fails part-way, for inspection. Without it that database is dropped: no half-restored database is left behind.",
    };
    readonly Option<int> jobs = new("--jobs", "-j") { Description = "pg_restore's parallel jobs.", DefaultValueFactory = _ => 2, HelpName = "N" };
    readonly Option<string?> tempDir = new("--temp-dir")
    {
        Description = "Where the decoded archive is written for pg_restore (in a new 0700 folder, deleted afterwards; those of killed restores are removed first). Default: TMPDIR or /tmp. Needs room for the uncompressed archive.",
        HelpName = "DIR",
    };
    readonly Option<string?> pgBin = CommonOptions.PgBin();
    readonly DecryptionKeyOptions keys = new();

    public RestoreCommand(Terminal terminal)
        : base("restore", "Verify an artifact, then restore it into a new database (without the source's owners and grants, unless " +
            "--keep-privileges) and compare its row counts with the manifest. A restore that fails part-way leaves no database behind, unless --keep-failed.")
    {
        Add(store);
        Add(key);
        Add(targetDatabase);
        server.AddTo(this);
        Add(overwrite);
        Add(keepPrivileges);
        Add(keepFailed);
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
        var folder = StoreFolder.Open(result.GetValue(store));
        var artifact = StoreFolder.ParseKey(result.GetValue(key));
        var target = DatabaseNames.Validate(result.GetValue(targetDatabase), BackupCtl.Caller);
        var decryptionKeys = keys.Read(result);
        if (artifact.Encoding == ArtifactEncoding.ZstdOpenPgp && decryptionKeys is null)
            throw CommandFailure.Usage($"{artifact} is encrypted: {BackupCtl.Caller.GiveDecryptionKeys}.");
        var settings = new RestoreSettings
        {
            Store = folder.Store,
            StoreRoot = folder.Root,
            Server = server.Resolve(result, terminal),
            Tools = PgClientTools.Locate(result.GetValue(pgBin), BackupCtl.Caller),
            Caller = BackupCtl.Caller,
            DecryptionKeys = decryptionKeys,
            TempDirectory = result.GetValue(tempDir),
            Jobs = result.GetValue(jobs),
            KeepPrivileges = result.GetValue(keepPrivileges),
            KeepFailedDatabase = result.GetValue(keepFailed),
        };

        SweepTempFolders(terminal, settings.TempDirectory);
        var report = await ArtifactRestore.RunAsync(settings, artifact, target, result.GetValue(overwrite), new TerminalProgress(terminal),
            cancellationToken);
        WriteCounts(terminal, report.Tables);

        var took = report.Duration.ToString(@"hh\:mm\:ss\.f", CultureInfo.InvariantCulture);
        if (!report.RowCountsMatch)
        {
            terminal.Errors.MarkupLine(
                $"[red]Restored into {target} in {took}, but {report.Differing.Count} of {report.Tables.Count} tables differ from the manifest's row counts; do not rely on this restore.[/]");
            return ExitCodes.RowCountsDiffer;
        }
        terminal.Out.MarkupLine($"[green]Restored[/] {Markup.Escape(artifact.Value)} into database {target} in {took}: {report.Tables.Count} tables, row counts as in the manifest.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Removes what killed backupctl restores left under the temp folder (their private folders, whose lock nobody
    /// holds any more), saying so by name; a running restore's folder is kept.
    /// </summary>
    static void SweepTempFolders(Terminal terminal, string? tempDirectory)
    {
        var swept = TempFolderSweep.Run(RestoreTempFolders.For(BackupCtl.Caller, tempDirectory), TimeProvider.System);
        if (swept.RemovedFolders.Count > 0)
            terminal.Out.WriteLine($"Removed {swept.RemovedFolders.Count} temp folder(s) left by killed backupctl restores in {swept.Parent}: {string.Join(", ", swept.RemovedFolders)}");
        foreach (var name in swept.NotRemoved)
            terminal.Errors.MarkupLine($"[yellow]warning: could not remove {Markup.Escape(name)}, left by a killed backupctl restore in {Markup.Escape(swept.Parent)}; check its permissions.[/]");
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
                count.Expected.ToString(CultureInfo.InvariantCulture),
                count.Restored?.ToString(CultureInfo.InvariantCulture) ?? "missing",
                count.Matches ? "[green]yes[/]" : "[red]NO[/]");
        terminal.Out.Write(table);
    }

    /// <summary>The restore's steps as lines on standard output; the SHA-256 with a progress bar on a terminal.</summary>
    sealed class TerminalProgress(Terminal terminal) : RestoreProgress
    {
        public override void Starting(ArtifactKey key, string targetDatabase, TargetServer server) =>
            terminal.Out.WriteLine($"Restoring {key} into database {targetDatabase} on {server.Describe()}");

        public override Task CheckStoredBytesAsync(ArtifactKey key, ArtifactManifest manifest, Func<IProgress<long>?, Task> check) =>
            HashingProgress.ShowAsync(terminal, key, manifest, check);

        public override void ArchiveDecoded(long archiveBytes) =>
            terminal.Out.WriteLine($"  content: a pg_dump custom archive of {Sizes.Describe(archiveBytes)} as in the manifest, read to its end, with data for every table of the manifest");

        public override void DatabaseCreated(string targetDatabase, bool recreated) =>
            terminal.Out.WriteLine(recreated ? $"  dropped and recreated database {targetDatabase} (--overwrite)" : $"  created database {targetDatabase}");

        public override void LoadingStarted(int sessions) =>
            terminal.Out.WriteLine($"  schema in; loading table data in {sessions} session(s) while the archive decodes…");

        public override void PgRestoreStarting(int jobs, string pgRestore) =>
            terminal.Out.WriteLine($"  running pg_restore --jobs={jobs} ({pgRestore})…");

        public override void FailedAfterDatabaseCreated(string targetDatabase, string outcome) =>
            terminal.Out.WriteLine($"  restore failed: {outcome}");
    }
}
