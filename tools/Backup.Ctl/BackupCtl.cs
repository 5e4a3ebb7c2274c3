using System.CommandLine;
using Backup.Ctl.Commands;
using Backup.Recovery;
using Spectre.Console;

namespace Backup.Ctl;

/// <summary>
/// backupctl's command line. Everything it needs is the artifact store folder (and, to restore, pg_restore and a
/// PostgreSQL server): no broker, no catalog, no running service.
/// </summary>
public static class BackupCtl
{
    public static RootCommand CreateRootCommand(Terminal terminal) =>
        new("Disaster recovery for Backup artifacts, from the store folder alone. " + ExitCodes.Summary)
        {
            new ListCommand(terminal),
            new VerifyCommand(terminal),
            new RestoreCommand(terminal),
            new DecryptCommand(terminal),
            new RetentionCommand(terminal),
            new KeysCommand(terminal),
        };

    /// <summary>backupctl as the recovery core's caller: its messages name backupctl's options.</summary>
    public static RecoveryCaller Caller { get; } = new()
    {
        Name = "backupctl",
        TargetDatabase = "--target-database",
        PgBin = "--pg-bin",
        TempDirectory = "--temp-dir",
        GiveDecryptionKeys = "give --passphrase-file F, or --secret-key-file F (with --secret-key-passphrase-file F when the key has a passphrase)",
        ChooseAnotherTarget = "Choose another --target-database, or add --overwrite to drop and recreate it.",
        AfterFailedRestore = "drop it, or run again with --overwrite",
        KeepPrivileges = "--keep-privileges",
        KeepFailedDatabase = "--keep-failed",
        CheckConnection = "Check --host, --port and --username, and give the password through PGPASSFILE, ~/.pgpass or --password-file.",
        FindTheKey = root => $"Check the key with 'backupctl list --store {root}'.",
    };

    /// <summary>Parses and runs one command line; returns its exit code (<see cref="ExitCodes"/>).</summary>
    public static Task<int> RunAsync(string[] args, Terminal terminal, CancellationToken cancellationToken = default) =>
        CreateRootCommand(terminal)
            .Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = terminal.OutText, Error = terminal.ErrorText }, cancellationToken);

    /// <summary>
    /// A command's action that turns a <see cref="CommandFailure"/> or a <see cref="RecoveryException"/> into its
    /// message on standard error and its exit code.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Guarded(Terminal terminal,
        Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (result, cancellationToken) =>
        {
            try
            {
                return await action(result, cancellationToken);
            }
            catch (CommandFailure failure)
            {
                terminal.Errors.MarkupLine($"[red]backupctl: {Markup.Escape(failure.Message)}[/]");
                return failure.ExitCode;
            }
            catch (RecoveryException failure)
            {
                terminal.Errors.MarkupLine($"[red]backupctl: {Markup.Escape(failure.Message)}[/]");
                return ExitCodes.For(failure.Code);
            }
        };
}
