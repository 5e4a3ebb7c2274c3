using System.CommandLine;
using Backup.Ctl.Keys;
using Spectre.Console;

namespace Backup.Ctl.Commands;

/// <summary><c>backupctl keys generate</c>: the administrators' OpenPGP key pair the dumper encrypts to.</summary>
public sealed class KeysCommand : Command
{
    public KeysCommand(Terminal terminal) : base("keys", "Make the administrators' OpenPGP key pair the dumper encrypts artifacts to.")
    {
        Add(new GenerateKeysCommand(terminal));
    }
}

/// <summary>
/// <c>backupctl keys generate --public-key-file P --secret-key-file S [--passphrase-file F] [--user-id ID]</c>: writes a
/// new key pair (<see cref="AdministratorKeyPair"/>), the public half for the dumper's Encryption:RecipientKeyFiles,
/// the secret half (0600) for the restorer's Restore:SecretKeyFile and backupctl's --secret-key-file. Refuses to
/// overwrite either file; prints the fingerprint, never key material.
/// </summary>
public sealed class GenerateKeysCommand : Command
{
    readonly Option<string> publicKeyFile = new("--public-key-file")
    {
        Description = "Where to write the public key (armored; refused if it exists): the dumper's Encryption:RecipientKeyFiles:<i>.",
        HelpName = "FILE",
        Required = true,
    };

    readonly Option<string> secretKeyFile = new("--secret-key-file")
    {
        Description = "Where to write the secret key (armored, made 0600; refused if it exists): the restorer's Restore:SecretKeyFile, backupctl's --secret-key-file.",
        HelpName = "FILE",
        Required = true,
    };

    readonly Option<string?> passphraseFile = new("--passphrase-file")
    {
        Description = "File whose first line is the passphrase that protects the secret key (then the restorer's Restore:SecretKeyPassphrase, backupctl's --secret-key-passphrase-file). Without it the secret key is unprotected: keep the file as a secret.",
        HelpName = "FILE",
    };

    readonly Option<string> userId = new("--user-id")
    {
        Description = "The key's user id, shown to whoever decrypts and in each manifest's recipients.",
        HelpName = "ID",
        DefaultValueFactory = _ => "Backup administrators",
    };

    public GenerateKeysCommand(Terminal terminal) : base("generate", "Write a new OpenPGP key pair: the public key for the dumper, the secret key for restores.")
    {
        Add(publicKeyFile);
        Add(secretKeyFile);
        Add(passphraseFile);
        Add(userId);
        SetAction(BackupCtl.Guarded(terminal, (result, _) => Task.FromResult(Run(terminal, result))));
    }

    int Run(Terminal terminal, ParseResult result)
    {
        var publicPath = Path.GetFullPath(result.GetValue(publicKeyFile)!);
        var secretPath = Path.GetFullPath(result.GetValue(secretKeyFile)!);
        var id = result.GetValue(userId)!;
        if (publicPath == secretPath)
            throw CommandFailure.Usage("--public-key-file and --secret-key-file must be two different files.");
        if (string.IsNullOrWhiteSpace(id) || id.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw CommandFailure.Usage("--user-id must be one line of text, such as \"Backup administrators <ops@example.com>\".");
        foreach (var (path, option) in new[] { (publicPath, "--public-key-file"), (secretPath, "--secret-key-file") })
        {
            if (File.Exists(path) || Directory.Exists(path))
                throw CommandFailure.Usage($"{option} '{path}' already exists; keys are never overwritten. Give a new file name.");
            if (!Directory.Exists(Path.GetDirectoryName(path)))
                throw CommandFailure.Usage($"The folder of {option} '{path}' does not exist.");
        }
        var passphrase = result.GetValue(passphraseFile) is { } file ? SecretFiles.ReadFirstLine(file, "--passphrase-file") : "";

        var keys = AdministratorKeyPair.Generate(id, passphrase, DateTime.UtcNow);
        Write(secretPath, keys.WriteSecret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            Write(publicPath, keys.WritePublic,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        catch
        {
            File.Delete(secretPath);
            throw;
        }
        terminal.Out.MarkupLine($"[green]Wrote[/] the key pair of {Markup.Escape(id)}, fingerprint {keys.Fingerprint}" +
            (passphrase.Length > 0 ? ", secret key protected by the passphrase" : ", secret key without a passphrase") + ":");
        terminal.Out.WriteLine($"  public key (Encryption:RecipientKeyFiles:<i> of the dumper): {publicPath}");
        terminal.Out.WriteLine($"  secret key, 0600 (Restore:SecretKeyFile of the restorer, backupctl --secret-key-file): {secretPath}");
        return ExitCodes.Ok;
    }

    // A new file, never an existing one; created with its final mode, so the secret is never readable by others.
    static void Write(string path, Action<Stream> write, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var file = new FileStream(path, options))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode); // the umask may have taken bits off a public key
    }
}
