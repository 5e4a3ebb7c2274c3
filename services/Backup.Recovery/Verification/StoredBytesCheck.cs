using System.Security.Cryptography;
using Backup.Storage;

namespace Backup.Recovery.Verification;

/// <summary>
/// The first check of any artifact: its stored bytes against its manifest. The size first (a cut or grown file fails
/// at once), then the SHA-256 of every byte, read once in 1 MiB pieces. No key, no decompression, no database.
/// </summary>
public static class StoredBytesCheck
{
    const int BufferBytes = 1 << 20;

    /// <summary>Fails with <see cref="RecoveryErrorCode.IntegrityCheckFailed"/> on any difference; reports bytes hashed so far to <paramref name="progress"/>.</summary>
    public static async Task RunAsync(IArtifactStore store, ArtifactKey key, ArtifactManifest manifest, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        await using var stored = await store.OpenReadAsync(key, cancellationToken);
        var size = stored.Length;
        if (size != manifest.StoredSizeBytes)
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed, size < manifest.StoredSizeBytes
                ? $"Size mismatch: {key} is {size:N0} bytes but its manifest says {manifest.StoredSizeBytes:N0}: the file was truncated (cut short by {manifest.StoredSizeBytes - size:N0} bytes). Do not restore it."
                : $"Size mismatch: {key} is {size:N0} bytes but its manifest says {manifest.StoredSizeBytes:N0}: {size - manifest.StoredSizeBytes:N0} bytes were added to it. Do not restore it.");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferBytes];
        long hashed = 0;
        int read;
        while ((read = await stored.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            hashed += read;
            progress?.Report(hashed);
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed, 
                $"Hash mismatch: the SHA-256 of {key} is {actual} but its manifest says {manifest.Sha256}. " +
                "Same size, different bytes: the file was altered or damaged on disk. Do not restore it; take another backup or an older one.");
    }
}
