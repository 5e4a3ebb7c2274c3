using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Backup.Storage.Encryption;

/// <summary>
/// What opens an encrypted artifact in a disaster recovery: an administrator's secret key ring (as
/// <c>gpg --export-secret-keys</c> writes it, armored or binary) with its passphrase, or the symmetric passphrase.
/// </summary>
public sealed class DecryptionKeys
{
    DecryptionKeys(PgpSecretKeyRingBundle? secretKeys, string secretKeyPassphrase, string? passphrase)
    {
        SecretKeys = secretKeys;
        SecretKeyPassphrase = secretKeyPassphrase;
        Passphrase = passphrase;
    }

    internal PgpSecretKeyRingBundle? SecretKeys { get; }

    internal string SecretKeyPassphrase { get; }

    internal string? Passphrase { get; }

    /// <summary>
    /// The secret keys in <paramref name="path"/>, unlocked with <paramref name="secretKeyPassphrase"/> (empty for
    /// a key without one). Throws <see cref="FileNotFoundException"/>, or <see cref="InvalidDataException"/> when the
    /// file holds no secret key.
    /// </summary>
    public static DecryptionKeys FromSecretKeyFile(string path, string secretKeyPassphrase = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(secretKeyPassphrase);
        var rings = new List<PgpSecretKeyRing>();
        var publicKeys = 0;
        try
        {
            using var file = File.OpenRead(path);
            var factory = new PgpObjectFactory(PgpUtilities.GetDecoderStream(file));
            for (var item = factory.NextPgpObject(); item is not null; item = factory.NextPgpObject())
            {
                if (item is PgpSecretKeyRing ring) rings.Add(ring);
                else if (item is PgpPublicKeyRing) publicKeys++;
            }
        }
        catch (Exception e) when (e is PgpException or EndOfStreamException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not an OpenPGP secret key file ({e.Message}).", e);
        }

        if (rings.Count == 0)
            throw new InvalidDataException(publicKeys > 0
                ? $"'{path}' holds only public keys; decryption needs the secret key ('gpg --export-secret-keys --armor <fingerprint>')."
                : $"'{path}' holds no OpenPGP secret key ('gpg --export-secret-keys --armor <fingerprint>').");
        return new DecryptionKeys(new PgpSecretKeyRingBundle(rings), secretKeyPassphrase, passphrase: null);
    }

    /// <summary>The passphrase the artifacts were encrypted to (<see cref="EncryptionOptions.Passphrase"/>).</summary>
    public static DecryptionKeys FromPassphrase(string passphrase)
    {
        ArgumentException.ThrowIfNullOrEmpty(passphrase);
        return new DecryptionKeys(secretKeys: null, "", passphrase);
    }

    /// <summary>These secret keys and also <paramref name="passphrase"/>: whichever the artifact was encrypted to opens it.</summary>
    public DecryptionKeys WithPassphrase(string passphrase)
    {
        ArgumentException.ThrowIfNullOrEmpty(passphrase);
        return new DecryptionKeys(SecretKeys, SecretKeyPassphrase, passphrase);
    }
}
