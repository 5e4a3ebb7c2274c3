using Amazon.S3;
using Backup.Storage;
using Backup.Storage.S3;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// The bucket on the S3-compatible server of deploy/local/infra.sh (s3rver: BACKUP_S3_URL, BACKUP_S3_BUCKET,
/// BACKUP_S3_ACCESS_KEY, BACKUP_S3_SECRET_KEY): the settings that put a service's store there, and a client of the
/// server itself to read what the bucket holds. Tests that use it are <see cref="S3FactAttribute"/>s.
/// </summary>
public static class TestBucket
{
    /// <summary>The server's URL, or null when there is none (the tests then skip).</summary>
    public static string? Url => Environment.GetEnvironmentVariable("BACKUP_S3_URL") is { Length: > 0 } url ? url : null;

    public static string Name => Environment.GetEnvironmentVariable("BACKUP_S3_BUCKET")!;

    static S3StorageOptions Options => new()
    {
        ServiceUrl = Url!,
        Bucket = Name,
        AccessKey = Environment.GetEnvironmentVariable("BACKUP_S3_ACCESS_KEY")!,
        SecretKey = Environment.GetEnvironmentVariable("BACKUP_S3_SECRET_KEY")!,
    };

    /// <summary>
    /// Storage:Backend=S3 on the bucket under <paramref name="prefix"/>, in 5 MiB parts, reached at
    /// <paramref name="serviceUrl"/> (the server itself unless a proxy stands between).
    /// </summary>
    public static void StoreIn(Dictionary<string, string?> settings, string prefix, string? serviceUrl = null)
    {
        var options = Options;
        settings["Storage:Backend"] = "S3";
        settings["Storage:Root"] = null;
        settings["Storage:S3:ServiceUrl"] = serviceUrl ?? options.ServiceUrl;
        settings["Storage:S3:Bucket"] = options.Bucket;
        settings["Storage:S3:Prefix"] = prefix;
        settings["Storage:S3:AccessKey"] = options.AccessKey;
        settings["Storage:S3:SecretKey"] = options.SecretKey;
        settings["Storage:S3:PartSizeMiB"] = "5";
    }

    /// <summary>A client of the server itself, never through a proxy.</summary>
    public static IAmazonS3 Client() => S3ClientFactory.Create(Options);
}

/// <summary>A fact that needs the S3-compatible server of deploy/local/infra.sh, skipped with the reason when there is none.</summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (TestBucket.Url is null)
            Skip = "BACKUP_S3_URL is not set: run deploy/local/test.sh, or 'deploy/local/infra.sh up DIR' and 'set -a; . DIR/infra.env; set +a' first.";
    }
}
