using Backup.ServiceDefaults.Options;

namespace Backup.Storage;

/// <summary>
/// The artifact store, shared by the dumper (writes), notifier (reads), retention (deletes) and restorer (reads):
/// a folder (<see cref="StorageBackend.FileSystem"/>, the default) or an S3-compatible bucket.
/// </summary>
public sealed class StorageOptions : IConfigurationSection<StorageOptions>, ISelfValidatingOptions
{
    public static string Section => "Storage";

    /// <summary>Which store holds the artifacts.</summary>
    public StorageBackend Backend { get; set; } = StorageBackend.FileSystem;

    /// <summary>Folder that holds the artifacts, one sub-folder per source and day (FileSystem only).</summary>
    public string Root { get; set; } = "";

    /// <summary>The bucket (S3 only).</summary>
    public S3StorageOptions S3 { get; set; } = new();

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!Enum.IsDefined(Backend))
            yield return (nameof(Backend), $"'{Backend}' is not a storage backend; use FileSystem (the default) or S3.");
        else if (Backend == StorageBackend.FileSystem && string.IsNullOrWhiteSpace(Root))
            yield return (nameof(Root), "The Root field is required: the folder that holds the artifacts (or set Storage:Backend to S3).");
        else if (Backend == StorageBackend.S3)
            foreach (var (key, problem) in S3.Validate())
                yield return ($"{nameof(S3)}:{key}", problem);
    }
}

/// <summary>Where <see cref="StorageOptions"/> puts artifacts.</summary>
public enum StorageBackend
{
    /// <summary>Files under Storage:Root.</summary>
    FileSystem,

    /// <summary>Objects in an S3-compatible bucket (AWS S3, MinIO, ...), under Storage:S3.</summary>
    S3,
}
