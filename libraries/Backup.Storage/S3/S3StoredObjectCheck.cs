using System.Security.Cryptography;
using Amazon.S3;

namespace Backup.Storage.S3;

/// <summary>
/// The check made once an object is written: it is read back and its size and SHA-256 compared with those of the bytes
/// written. Bytes changed on their way (a proxy, a bad NIC, a server that doesn't check Content-MD5) or an upload
/// completed short are caught here, before the backup is reported; the object is then deleted and the write fails
/// transiently, so the attempt is redone.
/// </summary>
sealed class S3StoredObjectCheck(IAmazonS3 client, S3Location target, Action<string, Exception> deleteFailed)
{
    /// <summary>The Content-MD5 header of a body: its MD5, base64. A server that checks it refuses a changed body (BadDigest).</summary>
    public static string ContentMd5(ArraySegment<byte> body) => Convert.ToBase64String(MD5.HashData(body));

    /// <summary>Reads the object back; returns <paramref name="sent"/> (the bytes' size and SHA-256 as they were written) when it has them.</summary>
    public async Task<StoredBytes> VerifyAsync(StoredBytes sent, CancellationToken cancellationToken)
    {
        var (sentBytes, expected) = sent;
        string problem;
        try
        {
            var (size, sha256) = await ReadBackAsync(cancellationToken);
            if (size == sentBytes && sha256 == expected) return sent;
            problem = size == sentBytes
                ? $"its bytes differ from those sent (SHA-256 {sha256}, sent {expected})"
                : $"it holds {size} bytes where {sentBytes} were sent";
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            problem = $"it could not be read back to check it ({S3Failures.Translate(e, target.Options, "reading").Message})";
        }
        await DeleteAsync();
        throw new ArtifactStoreException(
            $"The object {target.ObjectKey} stored in bucket '{target.Bucket}' was deleted because {problem}; the write may succeed when tried again.",
            transient: true);
    }

    async Task<StoredBytes> ReadBackAsync(CancellationToken cancellationToken)
    {
        using var response = await client.GetObjectAsync(target.Bucket, target.ObjectKey, cancellationToken);
        return await StoredBytes.MeasureAsync(response.ResponseStream, cancellationToken);
    }

    async Task DeleteAsync()
    {
        try
        {
            await client.DeleteObjectAsync(target.Bucket, target.ObjectKey, CancellationToken.None);
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            // The failed attempt is no backup; the dumper's next attempt deletes what is left.
            deleteFailed(target.ObjectKey, e);
        }
    }
}
