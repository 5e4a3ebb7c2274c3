using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Backup.Storage.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Storage.Tests.S3;

/// <summary>
/// A fact that runs against the real S3-compatible server deploy/local/infra.sh starts (BACKUP_S3_URL and friends in
/// its infra.env; deploy/local/test.sh always sets them), and is skipped, saying why, when there is none.
/// </summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (S3TestServer.Url is null)
            Skip = "BACKUP_S3_URL is not set: run deploy/local/test.sh, or 'deploy/local/infra.sh up DIR' and 'set -a; . DIR/infra.env; set +a' first.";
    }
}

/// <summary>
/// The test server, and stores on it made the way the services make theirs (configuration, AddArtifactStore), each
/// under a prefix of its own so tests don't see each other's objects.
/// </summary>
public sealed class S3TestServer : IDisposable
{
    public static readonly string? Url = Environment.GetEnvironmentVariable("BACKUP_S3_URL") is { Length: > 0 } url ? url : null;
    public static string Bucket => Variable("BACKUP_S3_BUCKET");
    public static string AccessKey => Variable("BACKUP_S3_ACCESS_KEY");
    public static string SecretKey => Variable("BACKUP_S3_SECRET_KEY");

    readonly List<IHost> hosts = [];

    public static readonly ArtifactKey Key =
        ArtifactKey.Create("demo", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));

    /// <summary>This test's prefix in the bucket.</summary>
    public string Prefix { get; } = $"tests/{Guid.NewGuid():N}/";

    /// <summary>The bucket seen directly, for what the store must not show.</summary>
    public IAmazonS3 Raw { get; } = S3ClientFactory.Create(Options());

    /// <summary>A store as a service gets it from Storage settings; <paramref name="change"/> adjusts them first.</summary>
    public IArtifactStore Store(Action<Dictionary<string, string?>>? change = null, TimeProvider? clock = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Backend"] = "S3",
            ["Storage:S3:ServiceUrl"] = Url,
            ["Storage:S3:Bucket"] = Bucket,
            ["Storage:S3:Prefix"] = Prefix,
            ["Storage:S3:AccessKey"] = AccessKey,
            ["Storage:S3:SecretKey"] = SecretKey,
            ["Storage:S3:PartSizeMiB"] = "5",
        };
        change?.Invoke(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (clock is not null) builder.Services.AddSingleton(clock);
        builder.AddArtifactStore();
        var host = builder.Build();
        hosts.Add(host);
        _ = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        return host.Services.GetRequiredService<IArtifactStore>();
    }

    /// <summary>Every object key under this test's prefix, relative to it, as the bucket has them.</summary>
    public async Task<List<string>> ObjectsAsync()
    {
        var page = await Raw.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = Prefix });
        return (page.S3Objects ?? []).Select(o => o.Key[Prefix.Length..]).Order(StringComparer.Ordinal).ToList();
    }

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static async Task WriteAsync(IArtifactStore store, ArtifactKey key, byte[] content)
    {
        await using var write = await store.BeginWriteAsync(key, CancellationToken.None);
        await write.Content.WriteAsync(content);
        await write.CommitAsync(CancellationToken.None);
    }

    public static async Task<string> Sha256Async(IArtifactStore store, ArtifactKey key)
    {
        await using var stream = await store.OpenReadAsync(key, CancellationToken.None);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }

    public static ArtifactManifest Manifest(ArtifactKey key, byte[] content) => new()
    {
        RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        Source = key.Source,
        ArtifactKey = key.Value,
        Format = "pg_dump-custom+zstd",
        StartedAt = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
        CompletedAt = new DateTimeOffset(2026, 11, 24, 2, 1, 0, TimeSpan.Zero),
        Database = "demo_app",
        ServerVersion = "15.0",
        PgDumpVersion = "15.0",
        Tables = [new ManifestTable("public", "customers", 3)],
        RawSizeBytes = content.Length,
        StoredSizeBytes = content.Length,
        Compression = new ManifestCompression("zstd", 3),
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
    };

    public void Dispose()
    {
        foreach (var key in Url is null ? [] : ObjectsAsync().GetAwaiter().GetResult())
            Raw.DeleteObjectAsync(Bucket, Prefix + key).GetAwaiter().GetResult();
        foreach (var host in hosts) host.Dispose();
        Raw.Dispose();
    }

    static S3StorageOptions Options() => new()
    {
        ServiceUrl = Url ?? "http://127.0.0.1:1",
        Bucket = Url is null ? "none" : Bucket,
        AccessKey = Url is null ? "none" : AccessKey,
        SecretKey = Url is null ? "none" : SecretKey,
    };

    static string Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
            : throw new InvalidOperationException($"{name} is not set while BACKUP_S3_URL is: source the infra.env that deploy/local/infra.sh wrote.");
}
