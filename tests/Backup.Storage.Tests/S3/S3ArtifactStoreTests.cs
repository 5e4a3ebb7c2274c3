using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Storage.Tests.S3;

public class When_an_artifact_is_written_to_S3_in_several_parts : IDisposable
{
    readonly S3TestServer server = new();

    [S3Fact]
    public async Task It_reads_back_the_same_bytes_with_the_same_SHA256()
    {
        var store = server.Store();
        var content = S3TestServer.RandomBytes((2 * 5 << 20) + 123_457, seed: 1); // three parts of 5 MiB, the last short
        StoredBytes committed;

        await using (var write = await store.BeginWriteAsync(S3TestServer.Key, CancellationToken.None))
        {
            for (var offset = 0; offset < content.Length; offset += 1_000_003)
            {
                var chunk = content.AsMemory(offset, Math.Min(1_000_003, content.Length - offset));
                if (offset % 2 == 0) await write.Content.WriteAsync(chunk);
                else write.Content.Write(chunk.Span); // OpenPGP writes synchronously
            }
            Assert.False(await store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
            committed = await write.CommitAsync(CancellationToken.None);
        }

        // What the manifest records: the size and SHA-256 of the bytes written, measured once by the write.
        Assert.Equal(new StoredBytes(content.Length, Convert.ToHexStringLower(SHA256.HashData(content))), committed);
        Assert.True(await store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
        Assert.Equal([S3TestServer.Key], await store.ListAsync(CancellationToken.None).ToListAsync());
        await using var stored = await store.OpenReadAsync(S3TestServer.Key, CancellationToken.None);
        Assert.Equal(content.Length, stored.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToHexStringLower(await SHA256.HashDataAsync(stored)));
    }

    [S3Fact]
    public async Task An_empty_artifact_is_stored_empty()
    {
        var store = server.Store();

        await S3TestServer.WriteAsync(store, S3TestServer.Key, []);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), await S3TestServer.Sha256Async(store, S3TestServer.Key));
    }

    public void Dispose() => server.Dispose();
}

public class When_an_S3_write_is_disposed_without_commit : IDisposable
{
    readonly S3TestServer server = new();

    [S3Fact]
    public async Task Nothing_is_listed_found_or_readable()
    {
        var store = server.Store();

        await using (var write = await store.BeginWriteAsync(S3TestServer.Key, CancellationToken.None))
            await write.Content.WriteAsync(S3TestServer.RandomBytes((5 << 20) + 10, seed: 2)); // one part sent, some buffered

        Assert.Empty(await server.ObjectsAsync());
        Assert.Empty(await store.ListAsync(CancellationToken.None).ToListAsync());
        Assert.False(await store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.OpenReadAsync(S3TestServer.Key, CancellationToken.None));
        Assert.Null(await store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None));
    }

    public void Dispose() => server.Dispose();
}

public class When_a_second_S3_write_commits_to_an_existing_key : IDisposable
{
    readonly S3TestServer server = new();

    [S3Fact]
    public async Task It_fails_and_keeps_the_first_artifact()
    {
        var store = server.Store();
        var first = S3TestServer.RandomBytes(100_000, seed: 3);
        await S3TestServer.WriteAsync(store, S3TestServer.Key, first);

        await using (var second = await store.BeginWriteAsync(S3TestServer.Key, CancellationToken.None))
        {
            await second.Content.WriteAsync(S3TestServer.RandomBytes(50_000, seed: 4));
            var refused = await Assert.ThrowsAsync<ArtifactStoreException>(() => second.CommitAsync(CancellationToken.None));
            Assert.True(refused.Transient); // another writer's: the dumper's next attempt looks at what it left
            Assert.Contains("never overwritten", refused.Message);
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(first)), await S3TestServer.Sha256Async(store, S3TestServer.Key));
    }

    [S3Fact]
    public async Task A_second_manifest_fails_and_the_first_stays()
    {
        var store = server.Store();
        var content = S3TestServer.RandomBytes(10_000, seed: 7);
        await S3TestServer.WriteAsync(store, S3TestServer.Key, content);
        var manifest = S3TestServer.Manifest(S3TestServer.Key, content);
        await store.WriteManifestAsync(manifest, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ArtifactStoreException>(() =>
            store.WriteManifestAsync(manifest with { Sha256 = new string('b', 64) }, CancellationToken.None));

        Assert.Contains("never overwritten", refused.Message);
        Assert.Equal(manifest.Sha256, (await store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None))!.Sha256);
    }

    public void Dispose() => server.Dispose();
}

public class When_an_S3_artifact_gets_its_manifest : IDisposable
{
    readonly S3TestServer server = new();

    [S3Fact]
    public async Task It_is_listed_without_one_until_the_manifest_is_written_beside_it()
    {
        var store = server.Store();
        var content = S3TestServer.RandomBytes(10_000, seed: 5);
        await S3TestServer.WriteAsync(store, S3TestServer.Key, content);

        Assert.Equal([S3TestServer.Key], await store.ListAsync(CancellationToken.None).ToListAsync());
        Assert.Null(await store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None));

        var manifest = S3TestServer.Manifest(S3TestServer.Key, content);
        await store.WriteManifestAsync(manifest, CancellationToken.None);

        var read = await store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(manifest.Sha256, read.Sha256);
        Assert.Equal(manifest.Tables, read.Tables);
        Assert.Equal([S3TestServer.Key], await store.ListAsync(CancellationToken.None).ToListAsync());
    }

    [S3Fact]
    public async Task The_bucket_under_the_prefix_has_the_filesystem_stores_layout()
    {
        var content = S3TestServer.RandomBytes(10_000, seed: 6);
        var manifest = S3TestServer.Manifest(S3TestServer.Key, content);
        var s3 = server.Store();
        await S3TestServer.WriteAsync(s3, S3TestServer.Key, content);
        await s3.WriteManifestAsync(manifest, CancellationToken.None);

        var root = Directory.CreateTempSubdirectory("backup-layout-").FullName;
        try
        {
            var folder = new FileSystemArtifactStore(Microsoft.Extensions.Options.Options.Create(new StorageOptions { Root = root }), TimeProvider.System);
            await S3TestServer.WriteAsync(folder, S3TestServer.Key, content);
            await folder.WriteManifestAsync(manifest, CancellationToken.None);
            var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
                .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal);

            Assert.Equal(files, await server.ObjectsAsync());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    public void Dispose() => server.Dispose();
}

public class When_an_S3_artifact_is_deleted : IDisposable
{
    readonly S3TestServer server = new();

    [S3Fact]
    public async Task It_answers_true_then_false_and_leaves_no_object()
    {
        var store = server.Store();
        var content = S3TestServer.RandomBytes(1_000, seed: 7);
        await S3TestServer.WriteAsync(store, S3TestServer.Key, content);
        await store.WriteManifestAsync(S3TestServer.Manifest(S3TestServer.Key, content), CancellationToken.None);

        Assert.True(await store.DeleteAsync(S3TestServer.Key, CancellationToken.None));
        Assert.False(await store.DeleteAsync(S3TestServer.Key, CancellationToken.None));

        Assert.Empty(await server.ObjectsAsync());
        Assert.False(await store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
    }

    public void Dispose() => server.Dispose();
}

public class When_S3_leftovers_are_removed : IDisposable
{
    readonly S3TestServer server = new();

    /// <summary>
    /// An interrupted write is an unfinished multipart upload. A server that lists them (AWS S3, MinIO) gets the old
    /// ones aborted; one that can't (s3rver answers ListMultipartUploads with 501) gets a permanent failure saying to
    /// let a bucket lifecycle rule do it. Which one the test server is, the server itself says.
    /// </summary>
    [S3Fact]
    public async Task Old_unfinished_uploads_are_aborted_or_the_server_is_named_as_unable()
    {
        var upload = await server.Raw.InitiateMultipartUploadAsync(S3TestServer.Bucket, server.Prefix + S3TestServer.Key.Value);
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));
        var store = server.Store(clock: later);

        bool listsUploads;
        try
        {
            await server.Raw.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3TestServer.Bucket, Prefix = server.Prefix });
            listsUploads = true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotImplemented)
        {
            listsUploads = false;
        }

        if (listsUploads)
        {
            var removed = await store.RemoveLeftoversAsync(TimeSpan.FromDays(1), CancellationToken.None);
            Assert.Contains(removed, name => name.Contains(upload.UploadId, StringComparison.Ordinal));
            var left = await server.Raw.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3TestServer.Bucket, Prefix = server.Prefix });
            Assert.Empty(left.MultipartUploads ?? []);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.RemoveLeftoversAsync(TimeSpan.FromDays(1), CancellationToken.None));
            Assert.False(refused.Transient);
            Assert.Contains("lifecycle rule", refused.Message);
        }
        Assert.Empty(await store.ListAsync(CancellationToken.None).ToListAsync());
    }

    [Fact]
    public void Only_uploads_started_before_the_cutoff_are_leftovers()
    {
        var now = new DateTime(2026, 11, 24, 2, 0, 0, DateTimeKind.Utc);
        MultipartUpload[] uploads =
        [
            new() { Key = "old", UploadId = "1", Initiated = now.AddDays(-2) },
            new() { Key = "running", UploadId = "2", Initiated = now.AddHours(-1) },
            new() { Key = "unknown", UploadId = "3" },
        ];

        var leftovers = Backup.Storage.S3.LeftoverUploads.OlderThan(uploads, new DateTimeOffset(now.AddDays(-1)));

        Assert.Equal(["old"], leftovers.Select(u => u.Key));
    }

    public void Dispose() => server.Dispose();
}

public class When_the_S3_server_refuses_or_is_unreachable : IDisposable
{
    const string WrongAccessKey = "NOT-THE-KEY-7Hq2";
    const string WrongSecret = "not-the-secret-Zq81x";
    readonly S3TestServer server = new();

    /// <summary>s3rver checks the access key but not V4 signatures, so a wrong secret key alone passes there (AWS S3 and MinIO refuse it the same way).</summary>
    [S3Fact]
    public async Task Wrong_credentials_fail_permanently_naming_the_settings_and_no_secret()
    {
        var store = server.Store(settings =>
        {
            settings["Storage:S3:AccessKey"] = WrongAccessKey;
            settings["Storage:S3:SecretKey"] = WrongSecret;
        });

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.BeginWriteAsync(S3TestServer.Key, CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains("Storage:S3:SecretKey", failure.Message);
        Assert.DoesNotContain(WrongSecret, failure.ToString());
        Assert.DoesNotContain(WrongAccessKey, failure.Message);
        Assert.DoesNotContain(S3TestServer.SecretKey, failure.Message);
        Assert.DoesNotContain(S3TestServer.AccessKey, failure.Message);
    }

    [S3Fact]
    public async Task A_missing_bucket_fails_permanently_naming_the_bucket_setting()
    {
        var store = server.Store(settings => settings["Storage:S3:Bucket"] = "no-such-bucket-here");

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.ExistsAsync(S3TestServer.Key, CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains("'no-such-bucket-here' does not exist", failure.Message);
        Assert.Contains("Storage:S3:Bucket", failure.Message);
    }

    [S3Fact]
    public async Task A_server_that_is_down_fails_transiently()
    {
        var store = server.Store(settings => settings["Storage:S3:ServiceUrl"] = $"http://127.0.0.1:{UnusedPort()}");

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.BeginWriteAsync(S3TestServer.Key, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Contains("Could not reach the S3 server", failure.Message);
        Assert.Contains("Storage:S3:ServiceUrl", failure.Message);
    }

    static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed on return: nothing listens there
    }

    public void Dispose() => server.Dispose();
}
