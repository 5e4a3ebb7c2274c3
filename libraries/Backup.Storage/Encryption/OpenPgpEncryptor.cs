using Microsoft.Extensions.Options;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Backup.Storage.Encryption;

/// <summary>
/// Encrypts artifacts with OpenPGP as <see cref="EncryptionOptions"/> say, in the form gpg 2.2 reads: AES-256 in an
/// integrity-protected packet (SEIPD with MDC), no OpenPGP compression (the data is zstd already), one binary
/// literal packet, all in 64 KiB partial-length chunks so that any size streams through bounded memory.
/// Register it as a singleton; it is safe to use from several backups at once.
/// </summary>
public sealed class OpenPgpEncryptor
{
    const int ChunkBytes = 1 << 16;

    /// <summary>The iterated-and-salted S2K count for the passphrase, encoded: 65,011,712 bytes hashed, the most OpenPGP can say.</summary>
    const int S2kCount = 0xFF;

    readonly string[] keyFiles;
    readonly string passphrase;
    readonly TimeProvider time;
    IReadOnlyList<string> recipients;

    /// <summary>
    /// Reads the recipients' keys once, so that <see cref="Recipients"/> is known from the start. Keys that can't be
    /// read are not an error here (start-up validation reports them, and <see cref="Encrypt(Stream)"/> refuses to
    /// run without them); encryption required but not configured is, with <see cref="EncryptionUnavailableException"/>.
    /// </summary>
    public OpenPgpEncryptor(IOptions<EncryptionOptions> options, TimeProvider? timeProvider = null)
    {
        var settings = options.Value;
        keyFiles = [.. settings.RecipientKeyFiles];
        passphrase = settings.Passphrase;
        time = timeProvider ?? TimeProvider.System;
        Enabled = settings.Enabled;
        if (settings.Required && !Enabled)
            throw new EncryptionUnavailableException(
                $"{EncryptionOptions.Section}:{nameof(EncryptionOptions.Required)} is true but neither " +
                $"{EncryptionOptions.Section}:{nameof(EncryptionOptions.RecipientKeyFiles)} nor " +
                $"{EncryptionOptions.Section}:{nameof(EncryptionOptions.Passphrase)} is set.");
        recipients = [];
        if (!Enabled) return;
        try
        {
            recipients = Describe(LoadRecipients());
        }
        catch (EncryptionUnavailableException)
        {
            // Encrypt says why, at the time it matters.
        }
    }

    /// <summary>True when artifacts are to be encrypted; <see cref="Encrypt(Stream)"/> refuses to run otherwise.</summary>
    public bool Enabled { get; }

    /// <summary>
    /// Who can decrypt, for the manifest: "&lt;key id, 16 hex&gt; &lt;first user id&gt;" for each recipient's encryption
    /// key, and "passphrase" when a passphrase opens it too. As of the latest <see cref="Encrypt(Stream)"/> (or start).
    /// </summary>
    public IReadOnlyList<string> Recipients => Volatile.Read(ref recipients);

    /// <summary>
    /// A write-only stream that encrypts what is written to it into <paramref name="output"/> as it goes. Disposing
    /// it writes the final packets but leaves <paramref name="output"/> open: flushing, syncing and closing it stay
    /// the caller's. Reads the key files again first, and throws <see cref="EncryptionUnavailableException"/>
    /// without writing anything to <paramref name="output"/> when any of them is no longer usable.
    /// </summary>
    public Stream Encrypt(Stream output) => Encrypt(output, out _);

    /// <summary><see cref="Encrypt(Stream)"/>, also giving the recipients of exactly this artifact, for its manifest.</summary>
    public Stream Encrypt(Stream output, out IReadOnlyList<string> recipientsOfThisArtifact)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanWrite) throw new ArgumentException("The output stream is not writable.", nameof(output));
        if (!Enabled)
            throw new InvalidOperationException(
                $"Encryption is not configured ({EncryptionOptions.Section}:{nameof(EncryptionOptions.RecipientKeyFiles)} and " +
                $"{EncryptionOptions.Section}:{nameof(EncryptionOptions.Passphrase)} are empty); check {nameof(Enabled)} first.");

        var keys = LoadRecipients();
        var generator = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, withIntegrityPacket: true, new SecureRandom());
        foreach (var key in keys) generator.AddMethod(key.Key);
        if (passphrase.Length > 0) generator.AddMethodUtf8(passphrase.ToCharArray(), HashAlgorithmTag.Sha256, S2kCount);
        var stream = EncryptingStream.Open(output, generator, time.GetUtcNow(), ChunkBytes);

        recipientsOfThisArtifact = Describe(keys);
        Volatile.Write(ref recipients, recipientsOfThisArtifact);
        return stream;
    }

    /// <summary>
    /// Opens an artifact that <see cref="Encrypt(Stream)"/> (or gpg) made: a readable stream of the plaintext, decrypted
    /// as it is read. Reading to the end checks the integrity code and throws <see cref="InvalidDataException"/> when
    /// the data was altered or cut short; throws <see cref="System.Security.Cryptography.CryptographicException"/> when
    /// none of <paramref name="keys"/> opens it. Disposing the stream leaves <paramref name="input"/> open.
    /// </summary>
    public static Stream Decrypt(Stream input, DecryptionKeys keys) => DecryptingStream.Open(input, keys);

    List<Recipient> LoadRecipients()
    {
        var now = time.GetUtcNow();
        var keys = new List<Recipient>();
        for (var i = 0; i < keyFiles.Length; i++)
        {
            if (!RecipientKeyFile.TryLoad(keyFiles[i], now, out var loaded, out var problem))
                throw new EncryptionUnavailableException(
                    $"{EncryptionOptions.Section}:{nameof(EncryptionOptions.RecipientKeyFiles)}:{i}: {problem}");
            keys.AddRange(loaded.Where(key => keys.TrueForAll(known => known.Key.KeyId != key.Key.KeyId)));
        }

        return keys;
    }

    IReadOnlyList<string> Describe(List<Recipient> keys) =>
        [.. keys.Select(key => key.Label), .. passphrase.Length > 0 ? ["passphrase"] : Array.Empty<string>()];
}
