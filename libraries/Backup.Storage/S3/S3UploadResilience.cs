using Polly;
using Polly.Retry;

namespace Backup.Storage.S3;

/// <summary>
/// The named Polly pipeline that retries one part upload of an artifact on a transient failure (an S3 503, a dropped
/// connection), a bounded number of times with exponential backoff and jitter: a dump of an hour is not redone for one
/// failed part. Nothing else goes through it, and the SDK's own retries are off (<see cref="S3ClientFactory"/>).
/// </summary>
public static class S3UploadResilience
{
    public const string PipelineName = "backup-s3-part-upload";

    /// <summary>Attempts after the first.</summary>
    public const int Retries = 4;

    public static void Configure(ResiliencePipelineBuilder builder, TimeSpan firstDelay) =>
        builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(S3Failures.IsTransient),
            MaxRetryAttempts = Retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = firstDelay,
        });
}
