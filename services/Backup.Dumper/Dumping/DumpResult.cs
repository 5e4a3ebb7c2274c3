using Backup.Storage;

namespace Backup.Dumper.Dumping;

/// <summary>How a dump ended. On failure, <see cref="ErrorCode"/> and <see cref="Reason"/> go into BackupFailed.</summary>
public sealed record DumpResult
{
    public bool Succeeded => ErrorCode.Length == 0;
    public string ErrorCode { get; init; } = "";
    public string Reason { get; init; } = "";

    public long RawSizeBytes { get; init; }
    public IReadOnlyList<ManifestTable> Tables { get; init; } = [];
    public IReadOnlyList<string> SchemaOnlyTables { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public string ServerVersion { get; init; } = "";
    public string PgDumpVersion { get; init; } = "";

    public static DumpResult Failure(string errorCode, string reason) => new() { ErrorCode = errorCode, Reason = reason };
}

/// <summary>Stable error codes published in BackupFailed.ErrorCode.</summary>
public static class DumpErrorCodes
{
    public const string UnknownSource = "UnknownSource";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string VersionMismatch = "VersionMismatch";
    public const string IncompleteSelection = "IncompleteSelection";
    public const string DumpFailed = "DumpFailed";
    public const string TimedOut = "TimedOut";
    public const string StorageFailed = "StorageFailed";
    public const string EncryptionFailed = "EncryptionFailed";
}
