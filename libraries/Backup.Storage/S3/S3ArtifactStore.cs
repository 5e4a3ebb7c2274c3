using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace Backup.Storage.S3;

/// <summary>
/// Artifacts as objects in an S3-compatible bucket, under "&lt;Storage:S3:Prefix&gt;&lt;artifact key&gt;": the
/// filesystem store's layout, so a bucket synced to a folder is a store folder. An artifact is one multipart upload,
/// streamed a part at a time and visible only once completed (<see cref="S3MultipartWrite"/>); its manifest is one
/// object written after it. Both are sent with their Content-MD5 and read back once written (<see cref="S3StoredObjectCheck"/>).
/// Unfinished uploads are the leftovers.
/// </summary>
public sealed class S3ArtifactStore : IArtifactStore, IDisposable
{
    readonly IAmazonS3 client;
    readonly S3StorageOptions options;
    readonly string prefix;
    readonly ResiliencePipeline partUpload;
    readonly TimeProvider clock;
    readonly ILogger<S3ArtifactStore> logger;

    public S3ArtifactStore(IOptions<StorageOptions> options, ResiliencePipelineProvider<string> pipelines, TimeProvider clock,
        ILogger<S3ArtifactStore> logger)
    {
        this.options = options.Value.S3;
        prefix = this.options.NormalizedPrefix;
        client = S3ClientFactory.Create(this.options);
        partUpload = pipelines.GetPipeline(S3UploadResilience.PipelineName);
        this.clock = clock;
        this.logger = logger;
    }

    public string Location => options.Location;

    public async Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var target = At(key.Value);
        var upload = await CallAsync(target, "starting the upload of", () => client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = target.ObjectKey }, cancellationToken));
        return new S3MultipartWrite(client, target, upload.UploadId, options.PartSizeMiB << 20, partUpload,
            token => ExistsAsync(key, token), (objectKey, e) => S3Log.AbortFailed(logger, objectKey, e.GetType().Name),
            UncheckedObjectLeft, cancellationToken);
    }

    public async Task WriteManifestAsync(ArtifactManifest manifest, CancellationToken cancellationToken)
    {
        var target = At(ArtifactKey.Parse(manifest.ArtifactKey).ManifestPath);
        await ThrowIfManifestExistsAsync(target, cancellationToken);
        using var json = new MemoryStream();
        await JsonSerializer.SerializeAsync(json, manifest, ArtifactManifest.Contract, cancellationToken);
        json.Position = 0;
        var body = new ArraySegment<byte>(json.GetBuffer(), 0, (int)json.Length);
        var check = new S3StoredObjectCheck(client, target, UncheckedObjectLeft);
        try
        {
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = options.Bucket,
                Key = target.ObjectKey,
                InputStream = json,
                ContentType = "application/json",
                MD5Digest = S3StoredObjectCheck.ContentMd5(body),
                UseChunkEncoding = false,
                IfNoneMatch = "*", // create-only where the server enforces it (AWS S3, MinIO)
            }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed)
        {
            throw ManifestExists(target);
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw target.Fail(e, "writing the manifest");
        }
        await check.VerifyAsync(new StoredBytes(body.Count, Convert.ToHexStringLower(SHA256.HashData(body))), cancellationToken);
    }

    // A manifest is never overwritten. If-None-Match makes the server refuse a key that exists (AWS S3, MinIO); this
    // check before covers servers that ignore it (s3rver), leaving only the moment between the two to the fencing.
    async Task ThrowIfManifestExistsAsync(S3Location target, CancellationToken cancellationToken)
    {
        var page = await CallAsync(target, "looking for", () => client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = options.Bucket, Prefix = target.ObjectKey, MaxKeys = 1 }, cancellationToken));
        if (page.S3Objects is [{ } first, ..] && first.Key == target.ObjectKey)
            throw ManifestExists(target);
    }

    static ArtifactStoreException ManifestExists(S3Location target) =>
        new($"A manifest already exists under {target.ObjectKey} in bucket '{target.Bucket}': another writer wrote it first, and manifests are never overwritten.",
            transient: true);

    public async Task<ArtifactManifest?> ReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var target = At(key.ManifestPath);
        await using var stream = await TryOpenAsync(target, cancellationToken);
        return stream is null ? null
            : await JsonSerializer.DeserializeAsync(stream, ArtifactManifest.Contract, cancellationToken);
    }

    public async Task<Stream> OpenReadAsync(ArtifactKey key, CancellationToken cancellationToken) =>
        await TryOpenAsync(At(key.Value), cancellationToken)
        ?? throw new FileNotFoundException($"The artifact {key} is not in {Location}.");

    public async Task<bool> ExistsAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        // A listing, not a HEAD: a HEAD's 404 can't tell a missing object from a missing bucket.
        var target = At(key.Value);
        var page = await CallAsync(target, "looking for", () => client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = options.Bucket, Prefix = target.ObjectKey, MaxKeys = 1 }, cancellationToken));
        return page.S3Objects is [{ } first, ..] && first.Key == target.ObjectKey;
    }

    public async IAsyncEnumerable<ArtifactKey> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = options.Bucket, Prefix = prefix };
        while (true)
        {
            ListObjectsV2Response page;
            try
            {
                page = await client.ListObjectsV2Async(request, cancellationToken);
            }
            catch (Exception e) when (S3Failures.IsS3Failure(e))
            {
                throw S3Failures.Translate(e, options, $"listing {Location}");
            }
            foreach (var item in page.S3Objects ?? [])
                if (ArtifactKey.TryParse(item.Key[prefix.Length..], out var key))
                    yield return key;
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public async Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var existed = await ExistsAsync(key, cancellationToken);
        await DeleteObjectAsync(At(key.ManifestPath), cancellationToken);
        if (existed) await DeleteObjectAsync(At(key.Value), cancellationToken);
        return existed;
    }

    /// <summary>
    /// Aborts the unfinished multipart uploads under the prefix started before <paramref name="olderThan"/> ago. A
    /// server without ListMultipartUploads fails permanently, saying to let a bucket lifecycle rule do it.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveLeftoversAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - olderThan;
        var removed = new List<string>();
        var request = new ListMultipartUploadsRequest { BucketName = options.Bucket, Prefix = prefix };
        while (true)
        {
            ListMultipartUploadsResponse page;
            try
            {
                page = await client.ListMultipartUploadsAsync(request, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
            {
                throw new ArtifactStoreException(
                    $"The S3 server {options.ServiceUrl} can't list unfinished uploads ({(int)e.StatusCode} {e.ErrorCode}), so interrupted " +
                    $"writes in bucket '{options.Bucket}' can't be cleaned by the service: give the bucket a lifecycle rule that aborts " +
                    "incomplete multipart uploads after a day, or use a server that lists them (AWS S3, MinIO).", transient: false, e);
            }
            catch (Exception e) when (S3Failures.IsS3Failure(e))
            {
                throw S3Failures.Translate(e, options, $"listing unfinished uploads in {Location}");
            }
            foreach (var upload in LeftoverUploads.OlderThan(page.MultipartUploads ?? [], cutoff))
            {
                await AbortAsync(upload, cancellationToken);
                removed.Add($"{upload.Key} (unfinished upload {upload.UploadId})");
            }
            if (page.IsTruncated != true) return removed;
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public void Dispose() => client.Dispose();

    void UncheckedObjectLeft(string objectKey, Exception e) => S3Log.UncheckedObjectLeft(logger, objectKey, e.GetType().Name);

    S3Location At(string relative) => new(options.Bucket, prefix + relative, options);

    /// <summary>The object as a stream, or null when the bucket has no such key.</summary>
    async Task<Stream?> TryOpenAsync(S3Location target, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetObjectAsync(options.Bucket, target.ObjectKey, cancellationToken);
            return new S3ReadStream(response, target);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            return null;
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw target.Fail(e, "reading");
        }
    }

    Task DeleteObjectAsync(S3Location target, CancellationToken cancellationToken) =>
        CallAsync(target, "deleting", () => client.DeleteObjectAsync(options.Bucket, target.ObjectKey, cancellationToken));

    /// <summary>One S3 request on <paramref name="target"/>; its failure becomes the store's, saying what was being done.</summary>
    static async Task<T> CallAsync<T>(S3Location target, string action, Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw target.Fail(e, action);
        }
    }

    async Task AbortAsync(MultipartUpload upload, CancellationToken cancellationToken)
    {
        try
        {
            await client.AbortMultipartUploadAsync(options.Bucket, upload.Key, upload.UploadId, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            // Completed or aborted meanwhile.
        }
        catch (Exception e) when (S3Failures.IsS3Failure(e))
        {
            throw new S3Location(options.Bucket, upload.Key, options).Fail(e, "aborting the unfinished upload of");
        }
    }
}

/// <summary>Which unfinished uploads are leftovers: those started before the cutoff (a running dump's upload is younger).</summary>
public static class LeftoverUploads
{
    public static IEnumerable<MultipartUpload> OlderThan(IEnumerable<MultipartUpload> uploads, DateTimeOffset cutoff) =>
        uploads.Where(upload => upload.Initiated is { } started && AsUtc(started) < cutoff);

    static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime());
}
