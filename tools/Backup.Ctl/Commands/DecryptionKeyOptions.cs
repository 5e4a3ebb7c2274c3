using System.CommandLine;
using Backup.Storage.Encryption;

namespace Backup.Ctl.Commands;

/// <summary>
/// What opens an encrypted (".gpg") artifact: the passphrase it was encrypted to, or an administrator's secret key
/// (as 'gpg --export-secret-keys --armor' writes it) with its own passphrase. Always from files.
/// </summary>
public sealed class DecryptionKeyOptions
{
    readonly Option<string?> passphraseFile = new("--passphrase-file")
    {
        Description = "File whose first line is the passphrase the artifacts were encrypted to (Encryption:Passphrase).",
        HelpName = "FILE",
    };

    readonly Option<string?> secretKeyFile = new("--secret-key-file")
    {
        Description = "An administrator's OpenPGP secret key file ('gpg --export-secret-keys --armor <fingerprint>').",
        HelpName = "FILE",
    };

    readonly Option<string?> secretKeyPassphraseFile = new("--secret-key-passphrase-file")
    {
        Description = "File whose first line is the secret key's own passphrase (omit for a key without one).",
        HelpName = "FILE",
    };

    public void AddTo(Command command)
    {
        command.Add(passphraseFile);
        command.Add(secretKeyFile);
        command.Add(secretKeyPassphraseFile);
        command.Validators.Add(result =>
        {
            var passphrase = result.GetValue(passphraseFile) is not null;
            var secretKey = result.GetValue(secretKeyFile) is not null;
            if (passphrase && secretKey)
                result.AddError("Give either --passphrase-file or --secret-key-file, not both.");
            if (!secretKey && result.GetValue(secretKeyPassphraseFile) is not null)
                result.AddError("--secret-key-passphrase-file goes with --secret-key-file.");
        });
    }

    /// <summary>The keys given, or null when none was.</summary>
    public DecryptionKeys? Read(ParseResult result)
    {
        if (result.GetValue(passphraseFile) is { } passphrasePath)
            return DecryptionKeys.FromPassphrase(SecretFiles.ReadFirstLine(passphrasePath, "--passphrase-file"));
        if (result.GetValue(secretKeyFile) is not { } keyPath)
            return null;
        if (!File.Exists(keyPath))
            throw CommandFailure.Usage($"--secret-key-file '{keyPath}' does not exist.");
        var keyPassphrase = result.GetValue(secretKeyPassphraseFile) is { } path
            ? SecretFiles.ReadFirstLine(path, "--secret-key-passphrase-file")
            : "";
        try
        {
            return DecryptionKeys.FromSecretKeyFile(keyPath, keyPassphrase);
        }
        catch (InvalidDataException e)
        {
            throw CommandFailure.Usage(e.Message);
        }
    }
}
