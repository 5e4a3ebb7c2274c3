using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace Backup.Storage.S3;

/// <summary>
/// Turns what the S3 SDK throws into <see cref="ArtifactStoreException"/>: transient (5xx but 501, throttling, a timeout,
/// the server unreachable) or permanent with what to fix (credentials, bucket, a server lacking a feature). Messages
/// carry the bucket, the URL, the S3 error code and the setting to check, never a credential or the server's own text.
/// </summary>
public static class S3Failures
{
    static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "InternalError",
        "ServiceUnavailable", "OperationAborted",
        // The body the server got is not the one sent (its Content-MD5 or signed SHA-256 differs): changed on its way.
        "BadDigest", "XAmzContentSHA256Mismatch",
    };

    static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AllAccessDisabled",
    };

    /// <summary>True for what this class translates: the SDK's exceptions and network failures.</summary>
    public static bool IsS3Failure(Exception exception) =>
        exception is AmazonServiceException or AmazonClientException or HttpRequestException or SocketException
        || exception is IOException and not ArtifactStoreException and not FileNotFoundException;

    /// <summary>True when trying again can help.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        ArtifactStoreException store => store.Transient,
        AmazonS3Exception s3 when s3.StatusCode is 0 => IsNetwork(s3.InnerException),
        AmazonS3Exception s3 => IsTransientStatus(s3.StatusCode, s3.ErrorCode),
        AmazonServiceException service when service.StatusCode is 0 => IsNetwork(service.InnerException) || service.InnerException is null,
        AmazonServiceException service => IsTransientStatus(service.StatusCode, service.ErrorCode),
        _ => IsNetwork(exception),
    };

    /// <summary>The store's exception for <paramref name="exception"/>, met while <paramref name="action"/> ("writing demo/...").</summary>
    public static ArtifactStoreException Translate(Exception exception, S3StorageOptions options, string action)
    {
        if (exception is ArtifactStoreException already) return already;
        var server = options.ServiceUrl.Length > 0 ? options.ServiceUrl : $"AWS S3 ({options.Region})";
        var transient = IsTransient(exception);
        if (exception is AmazonServiceException { StatusCode: not 0 } service)
        {
            var code = service.ErrorCode ?? "";
            var status = $"{(int)service.StatusCode} {code}".TrimEnd();
            var message = transient
                ? $"The S3 server {server} failed {action} ({status}); it may succeed later."
                : code == "NoSuchBucket"
                    ? $"The bucket '{options.Bucket}' does not exist on {server} ({status}) while {action}: create it, or fix Storage:S3:Bucket and Storage:S3:ServiceUrl."
                : CredentialCodes.Contains(code) || service.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized
                    ? $"The S3 server {server} refused {action} ({status}): check Storage:S3:AccessKey and Storage:S3:SecretKey (secret files Storage__S3__AccessKey and Storage__S3__SecretKey) and that they may read, write and delete in bucket '{options.Bucket}'."
                : service.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed
                    ? $"The S3 server {server} does not support {action} ({status}); use a server that does (AWS S3, MinIO)."
                    : $"The S3 server {server} refused {action} ({status}); check Storage:S3 (Bucket, Prefix, Region, ForcePathStyle).";
            return new ArtifactStoreException(message, transient, exception);
        }
        var cause = Innermost(exception).Message;
        return new ArtifactStoreException(transient
            ? $"Could not reach the S3 server {server} while {action} ({cause}); it may be down or restarting: check that it runs and Storage:S3:ServiceUrl."
            : $"S3 request failed while {action} ({cause}); check Storage:S3:ServiceUrl and Storage:S3:Region.", transient, exception);
    }

    static bool IsTransientStatus(HttpStatusCode status, string? code) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
        || ((int)status >= 500 && status != HttpStatusCode.NotImplemented)
        || (code is not null && TransientCodes.Contains(code));

    static bool IsNetwork(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is HttpRequestException or SocketException or TimeoutException or TaskCanceledException
                || (e is IOException and not ArtifactStoreException and not FileNotFoundException))
                return true;
        return false;
    }

    static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
