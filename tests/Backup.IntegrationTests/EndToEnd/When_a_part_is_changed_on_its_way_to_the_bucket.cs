using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Backup.Testing.S3Faults;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>
/// The dumper stores into the real S3-compatible server (s3rver) through <see cref="S3FaultProxy"/>, which inverts a
/// byte in the middle of part uploads on their way. s3rver does not check Content-MD5, so it stores what it got: the
/// store's read-back after completion must catch it. The source gets 6 MiB of random bytes, so with 5 MiB parts
/// every dump is a multipart upload of two parts. A run is never Completed with bytes other than its SHA-256 names.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_part_is_changed_on_its_way_to_the_bucket(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly string prefix = $"it/{Guid.NewGuid():N}/";
    BackupSystem? system;
    S3FaultProxy? proxy;

    public async Task InitializeAsync()
    {
        if (TestBucket.Url is not { } url) return;
        system = await BackupSystem.CreateAsync(infrastructure);
        proxy = new S3FaultProxy(url);
        await system.Postgres.ExecuteAsync(system.SourceDatabase,
            "CREATE TABLE public.attachments AS SELECT g AS id, decode(string_agg(md5(random()::text), ''), 'hex') AS content " +
            "FROM generate_series(1, 6) g, generate_series(1, 65536) s GROUP BY g; " +
            $"ALTER TABLE public.attachments OWNER TO \"{system.SourceRole}\"");
        await system.StartCatalog();
        await system.StartDumper(settings =>
        {
            TestBucket.StoreIn(settings, prefix, serviceUrl: proxy.Url);
            settings["Dumper:RetryDelays:0"] = "00:00:00.200";
            settings["Dumper:RetryDelays:1"] = "00:00:00.200";
        });
    }

    public async Task DisposeAsync()
    {
        if (proxy is not null) await proxy.DisposeAsync();
        if (system is not null) await system.DisposeAsync();
    }

    [S3Fact]
    public async Task Once_the_attempt_fails_and_the_next_one_completes_with_the_bytes_its_SHA256_names()
    {
        var world = system!;
        proxy!.Inject(S3Call.UploadPart, S3Fault.FlipByte);
        await using var rabbit = await RawRabbit.ConnectAsync(world);
        var started = await rabbit.ListenAsync("Backup.Contracts:BackupStarted");

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        var run = await world.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromSeconds(60));

        Assert.Equal(S3Fault.FlipByte, proxy.Exchanges.First(e => e.Call == S3Call.UploadPart).Fault);
        Assert.Equal(2, started.Count(m => m.GetProperty("runId").GetGuid() == runId));
        Assert.Equal(2, proxy.Exchanges.Count(e => e.Call == S3Call.InitiateUpload));
        using var bucket = TestBucket.Client();
        var key = ArtifactKey.Parse(run.ArtifactKey!);
        var (size, sha256) = await ReadDirectlyAsync(bucket, prefix + key.Value);
        Assert.True(size > 5 << 20, $"the artifact ({size} bytes) took more than one part");
        Assert.Equal(run.SizeBytes, size);
        Assert.Equal(run.Sha256, sha256);
        using var manifest = await bucket.GetObjectAsync(TestBucket.Name, prefix + key.ManifestPath);
        var stored = await JsonSerializer.DeserializeAsync<ArtifactManifest>(manifest.ResponseStream, ArtifactManifest.Contract);
        Assert.Equal(sha256, stored!.Sha256);
    }

    [S3Fact]
    public async Task On_every_attempt_the_run_fails_with_StorageFailed_and_nothing_is_left_in_the_bucket()
    {
        var world = system!;
        proxy!.Inject(S3Call.UploadPart, S3Fault.FlipByte, times: 100);
        await using var rabbit = await RawRabbit.ConnectAsync(world);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        var run = await world.WaitForStateAsync(runId, BackupRunStates.Failed, TimeSpan.FromSeconds(60));

        Assert.Equal("StorageFailed", run.FailureCode);
        Assert.Contains("differ from those sent", run.FailureReason);
        Assert.Equal(3, proxy.Exchanges.Count(e => e.Call == S3Call.InitiateUpload));
        using var bucket = TestBucket.Client();
        var left = await bucket.ListObjectsV2Async(new ListObjectsV2Request { BucketName = TestBucket.Name, Prefix = prefix });
        Assert.Empty(left.S3Objects ?? []);
    }

    /// <summary>The object as s3rver holds it, read from s3rver itself, not through the proxy.</summary>
    static async Task<(long Size, string Sha256)> ReadDirectlyAsync(IAmazonS3 bucket, string objectKey)
    {
        using var response = await bucket.GetObjectAsync(TestBucket.Name, objectKey);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return (bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())));
    }
}
