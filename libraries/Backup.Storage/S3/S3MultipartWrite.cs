using Backup.Storage.Streams;
using Amazon.S3;
using Amazon.S3.Model;
using Polly;

namespace Backup.Storage.S3;

/// <summary>
/// An artifact being written as one multipart upload: <see cref="Content"/> fills a buffer of one part and sends it
/// whenever it is full, so memory stays at one part whatever the artifact's size. <see cref="CommitAsync"/> sends the
/// last part and completes the upload, which makes the object appear whole at once; disposing without commit aborts
/// the upload. Nothing is visible under the key before completion. Each part carries its Content-MD5, so a server
/// that checks it (AWS S3, MinIO) refuses a part changed on its way (BadDigest, retried like a 503); after completion
/// the object is read back and must have the size and SHA-256 of the bytes sent (<see cref="S3StoredObjectCheck"/>).
/// </summary>
sealed class S3MultipartWrite : IArtifactWrite
{
    readonly IAmazonS3 client;
    readonly S3Location target;
    readonly string uploadId;
    readonly ResiliencePipeline partUpload;
    readonly Func<CancellationToken, Task<bool>> keyExists;
    readonly Action<string, Exception> abortFailed;
    readonly PartBufferStream buffer;
    readonly HashingStream content;
    readonly List<PartETag> parts = [];
    readonly S3StoredObjectCheck check;
    bool committed;

    public S3MultipartWrite(IAmazonS3 client, S3Location target, string uploadId, int partSizeBytes, ResiliencePipeline partUpload,
        Func<CancellationToken, Task<bool>> keyExists, Action<string, Exception> abortFailed, Action<string, Exception> uncheckedLeft,
        CancellationToken cancellationToken)
    {
        this.client = client;
        this.target = target;
        this.uploadId = uploadId;
        this.partUpload = partUpload;
        this.keyExists = keyExists;
        this.abortFailed = abortFailed;
        check = new S3StoredObjectCheck(client, target, uncheckedLeft);
        buffer = new PartBufferStream(partSizeBytes, UploadPartAsync, cancellationToken);
        content = new HashingStream(buffer);
    }

    public Stream Content => content;

    public async Task<StoredBytes> CommitAsync(CancellationToken cancellationToken)
    {
        await buffer.SendRemainderAsync(cancellationToken);
        // An artifact is never overwritten. If-None-Match makes the server refuse a key that exists (AWS S3, MinIO);
        // the check before covers servers that ignore it.
        if (await keyExists(cancellationToken))
            throw AlreadyExists();
        try
        {
            await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = target.Bucket,
                Key = target.ObjectKey,
                UploadId = uploadId,
                PartETags = parts,
                IfNoneMatch = "*",
            }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is System.Net.HttpStatusCode.PreconditionFailed)
        {
            throw AlreadyExists();
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw target.Fail(e, "completing the upload of");
        }
        committed = true;
        return await check.VerifyAsync(content.Measured(), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        content.Dispose();
        await buffer.DisposeAsync();
        if (committed) return;
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = target.Bucket,
                Key = target.ObjectKey,
                UploadId = uploadId,
            }, CancellationToken.None);
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            // Nothing is visible either way; the leftover cleanup aborts the upload later.
            abortFailed(target.ObjectKey, e);
        }
    }

    ArtifactStoreException AlreadyExists() =>
        new($"An artifact already exists under {target.ObjectKey} in bucket '{target.Bucket}': another writer committed it first, and artifacts are never overwritten.",
            transient: true);

    async Task UploadPartAsync(ArraySegment<byte> part, CancellationToken cancellationToken)
    {
        var number = parts.Count + 1;
        var md5 = S3StoredObjectCheck.ContentMd5(part);
        try
        {
            var response = await partUpload.ExecuteAsync(async (bytes, token) =>
            {
                using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
                return await client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = target.Bucket,
                    Key = target.ObjectKey,
                    UploadId = uploadId,
                    PartNumber = number,
                    InputStream = body,
                    PartSize = bytes.Count,
                    MD5Digest = md5,
                    UseChunkEncoding = false,
                }, token);
            }, part, cancellationToken);
            parts.Add(new PartETag(number, response.ETag));
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw target.Fail(e, $"uploading part {number} of");
        }
    }
}

/// <summary>Where an object is: its bucket and key, and how to say what failed there.</summary>
sealed record S3Location(string Bucket, string ObjectKey, S3StorageOptions Options)
{
    public ArtifactStoreException Fail(Exception e, string action) => S3Failures.Translate(e, Options, $"{action} {ObjectKey}");
}
