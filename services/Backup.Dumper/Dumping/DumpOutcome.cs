namespace Backup.Dumper.Dumping;

/// <summary>How a pg_dump run ended. On failure, <see cref="ErrorCode"/> and <see cref="Reason"/> go into BackupFailed.</summary>
public sealed record DumpOutcome(bool Succeeded, string ErrorCode, string Reason)
{
    public static readonly DumpOutcome Success = new(true, "", "");

    public static DumpOutcome Failure(string errorCode, string reason) => new(false, errorCode, reason);
}

/// <summary>Stable error codes published in BackupFailed.ErrorCode.</summary>
public static class DumpErrorCodes
{
    public const string UnknownSource = "UnknownSource";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string VersionMismatch = "VersionMismatch";
    public const string DumpFailed = "DumpFailed";
    public const string TimedOut = "TimedOut";
    public const string StorageFailed = "StorageFailed";
}
