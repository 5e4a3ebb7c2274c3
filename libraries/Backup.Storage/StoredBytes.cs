using System.Security.Cryptography;

namespace Backup.Storage;

/// <summary>The size and SHA-256 (lower-case hex) of stored bytes, as a manifest records them.</summary>
public readonly record struct StoredBytes(long Size, string Sha256)
{
    /// <summary>Reads <paramref name="content"/> to its end, counting and hashing every byte.</summary>
    public static async Task<StoredBytes> MeasureAsync(Stream content, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        for (int read; (read = await content.ReadAsync(buffer, cancellationToken)) > 0; size += read)
            hash.AppendData(buffer, 0, read);
        return new(size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
