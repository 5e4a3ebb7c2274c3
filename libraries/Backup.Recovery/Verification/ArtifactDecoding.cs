using System.Security.Cryptography;
using Backup.Storage;
using Backup.Storage.Compression;
using Backup.Storage.Encryption;
using ZstdSharp;

namespace Backup.Recovery.Verification;

/// <summary>
/// Reads the pg_dump archive out of an artifact's stored bytes, as they are read: OpenPGP decryption for ".gpg",
/// then zstd for ".zst" — the reverse of the dumper's pipeline, the same as "gpg -d | zstd -d".
/// </summary>
public static class ArtifactDecoding
{
    /// <summary>
    /// The decrypted bytes (still zstd-compressed unless the artifact is plain). Fails with
    /// <see cref="RecoveryErrorCode.DecryptionFailed"/> when the artifact is encrypted and the keys don't open it.
    /// Callers check first that an encrypted artifact comes with keys, and say how to give them.
    /// </summary>
    public static Stream OpenDecrypted(Stream stored, ArtifactKey key, DecryptionKeys? keys)
    {
        if (key.Encoding != ArtifactEncoding.ZstdOpenPgp) return stored;
        if (keys is null)
            throw new RecoveryException(RecoveryErrorCode.DecryptionFailed, $"{key} is encrypted and no key to decrypt it was given.");
        try
        {
            return OpenPgpEncryptor.Decrypt(stored, keys);
        }
        catch (CryptographicException e)
        {
            throw CannotDecrypt(key, e);
        }
        catch (InvalidDataException e)
        {
            throw CannotDecrypt(key, e);
        }
    }

    /// <summary>The pg_dump archive itself: decrypted, then decompressed (by zstd's C library: <see cref="NativeZstdDecompression"/>).</summary>
    public static Stream OpenArchive(Stream stored, ArtifactKey key, DecryptionKeys? keys)
    {
        var decrypted = OpenDecrypted(stored, key, keys);
        return key.Encoding == ArtifactEncoding.Plain ? decrypted : NativeZstdDecompression.Open(decrypted);
    }

    /// <summary>What a failure while reading decoded bytes means, for the operator.</summary>
    public static RecoveryException Explain(Exception error, ArtifactKey key) => error switch
    {
        EndOfStreamException => Damaged(
            $"Truncated: the zstd stream of {key} ends in the middle of a frame; the archive inside was cut short. Do not restore it."),
        ZstdException zstd => Damaged(
            $"Corrupt zstd: {key} does not decompress ({zstd.Message}); its compressed bytes are damaged or it is not zstd at all. Do not restore it."),
        InvalidDataException invalid => Damaged($"Damaged encrypted data in {key}: {invalid.Message}"),
        CryptographicException crypto => CannotDecrypt(key, crypto),
        _ => Damaged($"Cannot read {key}: {error.Message}"),
    };

    public static bool IsDecodingError(Exception error) =>
        error is EndOfStreamException or ZstdException or InvalidDataException or CryptographicException;

    static RecoveryException CannotDecrypt(ArtifactKey key, Exception error) =>
        new(RecoveryErrorCode.DecryptionFailed, $"Cannot decrypt {key}: {error.Message}");

    static RecoveryException Damaged(string message) => new(RecoveryErrorCode.IntegrityCheckFailed, message);
}
