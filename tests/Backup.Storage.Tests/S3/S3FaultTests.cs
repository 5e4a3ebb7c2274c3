using System.Security.Cryptography;
using Backup.Storage.S3;
using Backup.Testing.S3Faults;

namespace Backup.Storage.Tests.S3;

/// <summary>
/// The S3 store writing to the real test server through <see cref="S3FaultProxy"/>, which throttles, resets or
/// corrupts requests on their way. Three parts of 5 MiB (the last short) per artifact.
/// </summary>
public abstract class S3FaultScenario : IAsyncLifetime
{
    protected const int PartSize = 5 << 20;
    protected static readonly byte[] Content = S3TestServer.RandomBytes(2 * PartSize + 100_003, seed: 11);

    protected readonly S3TestServer Server = new();
    protected S3FaultProxy Proxy = null!;
    protected IArtifactStore Store = null!;

    public Task InitializeAsync()
    {
        if (S3TestServer.Url is null) return Task.CompletedTask;
        Proxy = new S3FaultProxy(S3TestServer.Url);
        Store = Server.Store(settings => settings["Storage:S3:ServiceUrl"] = Proxy.Url);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (S3TestServer.Url is not null) await Proxy.DisposeAsync();
        Server.Dispose();
    }

    protected static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The artifact as the server holds it, read directly, not through the proxy.</summary>
    protected async Task<byte[]> StoredBytesAsync()
    {
        using var stored = await Server.Raw.GetObjectAsync(S3TestServer.Bucket, Server.Prefix + S3TestServer.Key.Value);
        using var bytes = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    protected IEnumerable<S3Exchange> Calls(S3Call call) => Proxy.Exchanges.Where(e => e.Call == call);
}

public sealed class When_S3_part_uploads_are_throttled : S3FaultScenario
{
    [S3Fact]
    public async Task They_are_retried_and_the_object_is_stored_whole()
    {
        Proxy.Inject(S3Call.UploadPart, S3Fault.SlowDown);
        Proxy.Inject(S3Call.UploadPart, S3Fault.TooManyRequests);

        await S3TestServer.WriteAsync(Store, S3TestServer.Key, Content);

        Assert.Equal([503, 429, 200, 200, 200], Calls(S3Call.UploadPart).Select(e => e.Status));
        Assert.Equal(Sha256(Content), Sha256(await StoredBytesAsync()));
        Assert.Single(Calls(S3Call.CompleteUpload));
    }

    [S3Fact]
    public async Task Every_part_carries_the_MD5_of_its_bytes_for_the_server_to_check()
    {
        await S3TestServer.WriteAsync(Store, S3TestServer.Key, Content);

        var expected = Content.Chunk(PartSize).Select(part => Convert.ToBase64String(MD5.HashData(part)));
        Assert.Equal(expected, Calls(S3Call.UploadPart).Select(e => e.ContentMd5));
    }
}

public sealed class When_the_connection_resets_mid_part : S3FaultScenario
{
    [S3Fact]
    public async Task The_part_is_sent_again_and_the_object_is_stored_whole()
    {
        Proxy.Inject(S3Call.UploadPart, S3Fault.ResetMidBody);

        await S3TestServer.WriteAsync(Store, S3TestServer.Key, Content);

        Assert.Equal([null, 200, 200, 200], Calls(S3Call.UploadPart).Select(e => e.Status));
        var stored = await StoredBytesAsync();
        Assert.Equal(Content.Length, stored.Length);
        Assert.Equal(Sha256(Content), Sha256(stored));
    }

    [S3Fact]
    public async Task When_every_attempt_is_reset_the_upload_is_aborted_never_completed()
    {
        // More than the retries: HttpClient also sends a request again once itself when a reused connection breaks.
        Proxy.Inject(S3Call.UploadPart, S3Fault.ResetMidBody, times: 100);

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => S3TestServer.WriteAsync(Store, S3TestServer.Key, Content));

        Assert.True(failure.Transient);
        Assert.Contains("uploading part 1", failure.Message);
        Assert.All(Calls(S3Call.UploadPart), e => Assert.Equal(S3Fault.ResetMidBody, e.Fault));
        Assert.InRange(Calls(S3Call.UploadPart).Count(), S3UploadResilience.Retries + 1, 2 * (S3UploadResilience.Retries + 1));
        Assert.Empty(Calls(S3Call.CompleteUpload));
        Assert.Single(Calls(S3Call.InitiateUpload));
        Assert.Single(Calls(S3Call.AbortUpload)); // s3rver answers 405; AWS S3 and MinIO drop the parts
        Assert.Empty(await Server.ObjectsAsync());
        Assert.False(await Store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
    }
}

public sealed class When_a_byte_of_a_part_is_changed_in_flight : S3FaultScenario
{
    [S3Fact]
    public async Task The_write_fails_transiently_and_nothing_is_visible()
    {
        Proxy.Inject(S3Call.UploadPart, S3Fault.FlipByte);

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => S3TestServer.WriteAsync(Store, S3TestServer.Key, Content));

        Assert.True(failure.Transient);
        Assert.Equal(S3Fault.FlipByte, Calls(S3Call.UploadPart).First().Fault);
        Assert.Empty(await Server.ObjectsAsync());
        Assert.False(await Store.ExistsAsync(S3TestServer.Key, CancellationToken.None));
    }

    [S3Fact]
    public async Task A_later_write_of_the_same_bytes_is_stored_whole()
    {
        Proxy.Inject(S3Call.UploadPart, S3Fault.FlipByte);
        await Assert.ThrowsAsync<ArtifactStoreException>(() => S3TestServer.WriteAsync(Store, S3TestServer.Key, Content));

        await S3TestServer.WriteAsync(Store, S3TestServer.Key, Content);

        Assert.Equal(Sha256(Content), Sha256(await StoredBytesAsync()));
    }
}

public sealed class When_a_byte_of_a_manifest_is_changed_in_flight : S3FaultScenario
{
    [S3Fact]
    public async Task Writing_it_fails_transiently_and_no_manifest_is_left()
    {
        await S3TestServer.WriteAsync(Store, S3TestServer.Key, Content);
        var manifest = S3TestServer.Manifest(S3TestServer.Key, Content);
        Proxy.Inject(S3Call.PutObject, S3Fault.FlipByte);

        var failure = await Assert.ThrowsAsync<ArtifactStoreException>(() => Store.WriteManifestAsync(manifest, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Equal(S3Fault.FlipByte, Assert.Single(Calls(S3Call.PutObject)).Fault);
        Assert.Equal([S3TestServer.Key.Value], await Server.ObjectsAsync());
        Assert.Null(await Store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None));

        await Store.WriteManifestAsync(manifest, CancellationToken.None);
        Assert.Equal(manifest.Sha256, (await Store.ReadManifestAsync(S3TestServer.Key, CancellationToken.None))!.Sha256);
    }
}

public sealed class When_a_server_refuses_a_body_changed_in_flight
{
    /// <summary>AWS S3 and MinIO check Content-MD5 and the signed payload hash; s3rver checks neither, so the codes they answer are tested here.</summary>
    [Theory]
    [InlineData("BadDigest", true)]
    [InlineData("XAmzContentSHA256Mismatch", true)]
    [InlineData("InvalidArgument", false)]
    public void The_refusal_is_transient_so_the_part_is_sent_again(string code, bool transient)
    {
        var refusal = new Amazon.S3.AmazonS3Exception("refused") { StatusCode = System.Net.HttpStatusCode.BadRequest, ErrorCode = code };

        Assert.Equal(transient, S3Failures.IsTransient(refusal));
    }
}
