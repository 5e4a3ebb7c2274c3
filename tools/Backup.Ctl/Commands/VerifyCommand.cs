using System.CommandLine;
using Backup.Ctl.Store;
using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Recovery.Verification;
using Backup.Storage;
using Backup.Storage.Encryption;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl verify --store DIR KEY|--all</c>: each artifact's size and SHA-256 against its manifest, then its
/// content: decrypted (with keys), decompressed to the end, a pg_dump custom archive as long as the manifest says,
/// whose table of contents pg_restore --list reads. An encrypted artifact without keys gets the first check only.
/// </summary>
public sealed class VerifyCommand : Command
{
    readonly Option<string> store = CommonOptions.Store();
    readonly Argument<string?> key = new("KEY")
    {
        Description = "The artifact's store-relative key, as 'backupctl list' prints it.",
        Arity = ArgumentArity.ZeroOrOne,
    };
    readonly Option<bool> all = new("--all") { Description = "Verify every artifact in the store." };
    readonly Option<string?> pgBin = CommonOptions.PgBin();
    readonly DecryptionKeyOptions keys = new();
    readonly RestoreDrillRun drill = new();

    public VerifyCommand(Terminal terminal)
        : base("verify", "Check artifacts against their manifests: size, SHA-256, zstd, and a pg_dump archive pg_restore can read; with --restore, prove one by a restore drill on a server.")
    {
        Add(store);
        Add(key);
        Add(all);
        Add(pgBin);
        keys.AddTo(this);
        drill.AddTo(this);
        Validators.Add(result =>
        {
            var hasKey = result.GetValue(key) is not null;
            var hasAll = result.GetValue(all);
            if (hasKey == hasAll)
                result.AddError("Give either one KEY or --all.");
        });
        SetAction(BackupCtl.Guarded(terminal, (result, cancellationToken) => RunAsync(terminal, result, cancellationToken)));
    }

    async Task<int> RunAsync(Terminal terminal, ParseResult result, CancellationToken cancellationToken)
    {
        var folder = StoreFolder.Open(result.GetValue(store));
        var decryptionKeys = keys.Read(result);
        var tools = new Lazy<PgClientTools>(() => PgClientTools.Locate(result.GetValue(pgBin), BackupCtl.Caller));

        if (drill.Requested(result))
        {
            if (result.GetValue(all))
                throw CommandFailure.Usage("--restore drills one artifact at a time: give its KEY instead of --all.");
            var drilled = StoreFolder.ParseKey(result.GetValue(key));
            if (drilled.Encoding == ArtifactEncoding.ZstdOpenPgp && decryptionKeys is null)
                throw CommandFailure.Usage($"{drilled} is encrypted: {BackupCtl.Caller.GiveDecryptionKeys}.");
            return await drill.RunAsync(terminal, result, folder, drilled, decryptionKeys, result.GetValue(pgBin), cancellationToken);
        }

        if (!result.GetValue(all))
        {
            var artifact = StoreFolder.ParseKey(result.GetValue(key));
            await VerifyAsync(terminal, folder, artifact, decryptionKeys, tools, cancellationToken);
            return ExitCodes.Ok;
        }

        var entries = (await folder.ListAsync(cancellationToken)).OrderBy(entry => entry.Key.Value, StringComparer.Ordinal).ToList();
        if (entries.Count == 0)
            throw CommandFailure.Artifact($"The store folder {folder.Root} holds no artifacts: nothing to verify.");

        var failed = 0;
        foreach (var entry in entries)
        {
            try
            {
                await VerifyAsync(terminal, folder, entry.Key, decryptionKeys, tools, cancellationToken);
            }
            catch (RecoveryException failure) when (ExitCodes.For(failure.Code) == ExitCodes.ArtifactFailed)
            {
                failed++;
                terminal.Out.MarkupLine($"[red]FAILED[/] {Markup.Escape(entry.Key.Value)}");
                terminal.Errors.MarkupLine($"[red]{Markup.Escape(failure.Message)}[/]");
            }
        }

        terminal.Out.WriteLine($"{entries.Count - failed} of {entries.Count} artifacts verified, {failed} failed.");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.ArtifactFailed;
    }

    static async Task VerifyAsync(Terminal terminal, StoreFolder folder, ArtifactKey artifact, DecryptionKeys? decryptionKeys,
        Lazy<PgClientTools> tools, CancellationToken cancellationToken)
    {
        var manifest = await folder.ReadCompleteAsync(artifact, cancellationToken);
        await HashingProgress.CheckStoredBytesAsync(terminal, folder, artifact, manifest, cancellationToken);

        if (artifact.Encoding == ArtifactEncoding.ZstdOpenPgp && decryptionKeys is null)
        {
            terminal.Out.MarkupLine($"[green]OK[/] {Markup.Escape(artifact.Value)} [yellow](stored bytes only: it is encrypted and no key was given; " +
                "add --passphrase-file or --secret-key-file to check its content)[/]");
            return;
        }

        await using var stored = await folder.Store.OpenReadAsync(artifact, cancellationToken);
        await using var archive = ArtifactDecoding.OpenArchive(stored, artifact, decryptionKeys);
        var facts = await ArchiveCheck.RunAsync(archive, artifact, manifest, copyTo: null, tools.Value, cancellationToken);
        terminal.Out.WriteLine(
            $"  content: {(artifact.Encoding == ArtifactEncoding.ZstdOpenPgp ? "decrypted, " : "")}decompressed to {facts.RawBytes:N0} bytes as in the manifest, " +
            $"a pg_dump custom archive; pg_restore --list read its table of contents: data for {facts.TablesWithData!.Count} tables, every table of the manifest");
        terminal.Out.MarkupLine($"[green]OK[/] {Markup.Escape(artifact.Value)}");
    }
}
