using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace Backup.Storage.S3;

/// <summary>
/// The S3 client for Storage:S3: explicit credentials, path-style if asked, no SDK retries (but one for a stale pooled
/// connection) and no SDK checksums of its own.
/// </summary>
public static class S3ClientFactory
{
    public static IAmazonS3 Create(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // S3-compatible servers often reject the SDK's default trailing checksums; the manifest's own SHA-256 is
            // what proves an artifact whole.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // Part uploads retry through the named Polly pipeline (S3UploadResilience) and everything else through
            // the caller's retry (MassTransit's): SDK retries on top would multiply them.
            MaxErrorRetry = 0,
            // The SDK also sends a request again at once, outside MaxErrorRetry, when its connection is reset (10
            // times by default): once covers a pooled connection the server closed while idle; more would multiply.
            MaxStaleConnectionRetries = 1,
        };
        if (options.ServiceUrl.Length > 0)
            config.ServiceURL = options.ServiceUrl;
        else
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        return new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }
}
