using System.CommandLine;
using Backup.Ctl.Store;
using Backup.Recovery.Verification;
using Backup.Storage;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary>
/// <c>backupctl decrypt --store DIR KEY --out FILE</c>: after the stored-bytes check, writes the decrypted artifact
/// (still zstd-compressed, for "zstd -dc FILE | pg_restore"), or with --decompress the plain pg_dump archive. The
/// output is readable by this user only and appears under its name only when complete and intact.
/// </summary>
public sealed class DecryptCommand : Command
{
    readonly Option<string> store = CommonOptions.Store();
    readonly Argument<string> key = CommonOptions.Key();
    readonly Option<string> output = new("--out")
    {
        Description = "The file to write (refused if it exists); made 0600.",
        HelpName = "FILE",
        Required = true,
    };
    readonly Option<bool> decompress = new("--decompress") { Description = "Also decompress: write the plain pg_dump custom archive." };
    readonly DecryptionKeyOptions keys = new();

    public DecryptCommand(Terminal terminal)
        : base("decrypt", "Write an encrypted artifact's decrypted archive (zstd, or with --decompress the plain pg_dump archive) to a file.")
    {
        Add(store);
        Add(key);
        Add(output);
        Add(decompress);
        keys.AddTo(this);
        SetAction(BackupCtl.Guarded(terminal, (result, cancellationToken) => RunAsync(terminal, result, cancellationToken)));
    }

    async Task<int> RunAsync(Terminal terminal, ParseResult result, CancellationToken cancellationToken)
    {
        var folder = StoreFolder.Open(result.GetValue(store));
        var artifact = StoreFolder.ParseKey(result.GetValue(key));
        var plain = result.GetValue(decompress);
        var decryptionKeys = keys.Read(result);
        if (artifact.Encoding != ArtifactEncoding.ZstdOpenPgp && !plain)
            throw CommandFailure.Usage($"{artifact} is not encrypted: nothing to decrypt. Add --decompress to write its plain pg_dump archive.");
        if (artifact.Encoding == ArtifactEncoding.ZstdOpenPgp && decryptionKeys is null)
            throw CommandFailure.Usage($"{artifact} is encrypted: {BackupCtl.Caller.GiveDecryptionKeys}.");
        var destination = Path.GetFullPath(result.GetValue(output)!);
        if (File.Exists(destination) || Directory.Exists(destination))
            throw CommandFailure.Usage($"--out '{destination}' already exists; give a new file name.");
        if (!Directory.Exists(Path.GetDirectoryName(destination)))
            throw CommandFailure.Usage($"The folder of --out '{destination}' does not exist.");

        var manifest = await folder.ReadCompleteAsync(artifact, cancellationToken);
        await HashingProgress.CheckStoredBytesAsync(terminal, folder, artifact, manifest, cancellationToken);

        var partial = Path.Combine(Path.GetDirectoryName(destination)!, $".{Path.GetFileName(destination)}.partial-{Guid.NewGuid():N}");
        try
        {
            long written;
            await using (var stored = await folder.Store.OpenReadAsync(artifact, cancellationToken))
            await using (var file = CreatePrivateFile(partial))
            {
                if (plain)
                {
                    await using var archive = ArtifactDecoding.OpenArchive(stored, artifact, decryptionKeys);
                    written = (await ArchiveCheck.RunAsync(archive, artifact, manifest, file, tools: null, cancellationToken)).RawBytes;
                }
                else
                {
                    await using var decrypted = ArtifactDecoding.OpenDecrypted(stored, artifact, decryptionKeys);
                    written = await CopyAsync(decrypted, file, artifact, cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, destination, overwrite: false);
            terminal.Out.MarkupLine(
                $"[green]Wrote[/] {Markup.Escape(destination)}: {(plain ? "the pg_dump custom archive" : "the zstd-compressed pg_dump archive")}, {Sizes.Describe(written)}" +
                (plain ? $" (restore it with: pg_restore --dbname=NAME {Markup.Escape(destination)})" : $" (restore it with: zstd -dc {Markup.Escape(destination)} | pg_restore --dbname=NAME)"));
            return ExitCodes.Ok;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    static async Task<long> CopyAsync(Stream decrypted, Stream file, ArtifactKey artifact, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long written = 0;
        while (true)
        {
            int read;
            try
            {
                read = await decrypted.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (ArtifactDecoding.IsDecodingError(e))
            {
                throw ArtifactDecoding.Explain(e, artifact);
            }
            if (read == 0) return written;
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            written += read;
        }
    }

    static FileStream CreatePrivateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(path, options);
    }
}
