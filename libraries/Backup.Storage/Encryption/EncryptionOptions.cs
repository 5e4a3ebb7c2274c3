using Backup.ServiceDefaults.Options;

namespace Backup.Storage.Encryption;

/// <summary>
/// Encryption of artifacts at rest, with OpenPGP, so that a stock <c>gpg --decrypt</c> opens them: to the public keys
/// of one or more administrators, and/or to a passphrase. When any of them is configured, an artifact is never
/// stored in plaintext: a missing or unusable key stops the service at start and fails a backup later on.
/// </summary>
public sealed class EncryptionOptions : IConfigurationSection<EncryptionOptions>, ISelfValidatingOptions
{
    public static string Section => "Encryption";

    /// <summary>
    /// Paths of OpenPGP public key files (ASCII-armored or binary, as <c>gpg --export [--armor]</c> writes them);
    /// a file may hold several keys. Every usable key in every file can decrypt the artifacts.
    /// </summary>
    public string[] RecipientKeyFiles { get; set; } = [];

    /// <summary>A passphrase that also decrypts the artifacts (symmetric). A secret: from a secret file or an environment variable, never appsettings.</summary>
    public string Passphrase { get; set; } = "";

    /// <summary>When true, a configuration with neither recipients nor a passphrase is an error instead of "no encryption".</summary>
    public bool Required { get; set; }

    /// <summary>True when any recipient key file or a passphrase is configured.</summary>
    public bool Enabled => RecipientKeyFiles.Length > 0 || Passphrase.Length > 0;

    public IEnumerable<(string Key, string Problem)> Validate() => Validate(DateTimeOffset.UtcNow);

    /// <summary>The checks of <see cref="Validate()"/>, with key expiry judged at <paramref name="now"/>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate(DateTimeOffset now)
    {
        if (Required && !Enabled)
            yield return (nameof(Required),
                $"encryption is required but neither {Section}:{nameof(RecipientKeyFiles)} nor {Section}:{nameof(Passphrase)} is set; " +
                "give at least one public key file or a passphrase (or set Required to false to store artifacts unencrypted)");

        if (Passphrase.Length > 0 && string.IsNullOrWhiteSpace(Passphrase))
            yield return (nameof(Passphrase), "is only whitespace; give a real passphrase or leave it empty");
        else if (Passphrase.AsSpan().IndexOfAny('\r', '\n') >= 0)
            yield return (nameof(Passphrase),
                "contains a line break; gpg reads a passphrase only up to the end of its line, so it could not decrypt " +
                "(check the secret file for a stray newline in the middle)");

        for (var i = 0; i < RecipientKeyFiles.Length; i++)
            if (!RecipientKeyFile.TryLoad(RecipientKeyFiles[i], now, out _, out var problem))
                yield return ($"{nameof(RecipientKeyFiles)}:{i}", problem);
    }
}
