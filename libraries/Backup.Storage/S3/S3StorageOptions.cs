using System.Text.RegularExpressions;

namespace Backup.Storage;

/// <summary>
/// The bucket of an S3-compatible store (Storage:S3). AccessKey and SecretKey are secrets: they come from secret files
/// (Storage__S3__AccessKey, Storage__S3__SecretKey in BACKUP_SECRETS_DIR) or environment variables, never from
/// appsettings. Checked only when Storage:Backend is S3.
/// </summary>
public sealed partial class S3StorageOptions
{
    public const int MinPartSizeMiB = 5;     // S3's smallest part but the last
    public const int MaxPartSizeMiB = 512;   // a part is held in memory while it uploads

    /// <summary>The server's URL, e.g. http://minio:9000; empty: AWS S3 itself, located by <see cref="Region"/>.</summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>The region requests are signed for; S3-compatible servers usually accept us-east-1.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>The bucket that holds the artifacts; it must exist (the service never creates it).</summary>
    public string Bucket { get; set; } = "";

    /// <summary>
    /// A folder-like prefix in the bucket, e.g. "backups/" (optional). Objects are "&lt;prefix&gt;&lt;artifact key&gt;",
    /// so a bucket synced to a folder has the filesystem store's layout under that prefix.
    /// </summary>
    public string Prefix { get; set; } = "";

    /// <summary>Addresses the bucket as a path (http://server/bucket/key), as MinIO and most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Secret.</summary>
    public string AccessKey { get; set; } = "";

    /// <summary>Secret.</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>Bytes sent per multipart upload part, in MiB; one part is held in memory per artifact being written.</summary>
    public int PartSizeMiB { get; set; } = 16;

    /// <summary>The prefix as object keys use it: empty, or ending with exactly one '/'.</summary>
    public string NormalizedPrefix => Prefix.Length == 0 ? "" : Prefix.TrimEnd('/') + "/";

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\z", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixShape();

    /// <summary>(key relative to Storage:S3, problem) pairs; messages never repeat a secret's value.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (ServiceUrl.Length > 0 && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url)
                || url.Scheme is not ("http" or "https") || url.UserInfo.Length > 0))
            yield return (nameof(ServiceUrl), $"'{(ServiceUrl.Contains('@') ? "(hidden: it holds user information)" : ServiceUrl)}' is not an http(s) URL without user information, e.g. http://minio:9000.");
        if (string.IsNullOrWhiteSpace(Region))
            yield return (nameof(Region), "The Region field is required (us-east-1 suits most S3-compatible servers).");
        if (string.IsNullOrWhiteSpace(Bucket))
            yield return (nameof(Bucket), "The Bucket field is required: the bucket that holds the artifacts.");
        else if (!BucketName().IsMatch(Bucket) || Bucket.Contains("..", StringComparison.Ordinal))
            yield return (nameof(Bucket), $"'{Bucket}' is not a valid bucket name (3-63 characters: lower-case letters, digits, '.', '-').");
        if (Prefix.Length > 0 && (!PrefixShape().IsMatch(Prefix) || Prefix.Split('/').Any(segment => segment is "." or "..")))
            yield return (nameof(Prefix), $"'{Prefix}' is not a usable prefix: give folder names of letters, digits, '_', '.', '-' joined by '/', e.g. backups/ (no leading '/', no '.' or '..').");
        if (string.IsNullOrWhiteSpace(AccessKey))
            yield return (nameof(AccessKey), "The AccessKey field is required; give it as the secret file Storage__S3__AccessKey.");
        if (string.IsNullOrWhiteSpace(SecretKey))
            yield return (nameof(SecretKey), "The SecretKey field is required; give it as the secret file Storage__S3__SecretKey.");
        if (PartSizeMiB is < MinPartSizeMiB or > MaxPartSizeMiB)
            yield return (nameof(PartSizeMiB), $"{PartSizeMiB} is out of range: S3 parts are {MinPartSizeMiB} to {MaxPartSizeMiB} MiB here (default 16).");
    }

    /// <summary>Where the store is, for messages: "s3://bucket/prefix at URL". Never holds a secret.</summary>
    public string Location => $"s3://{Bucket}/{NormalizedPrefix}" + (ServiceUrl.Length > 0 ? $" at {ServiceUrl}" : "");
}
