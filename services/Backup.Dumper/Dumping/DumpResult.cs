using Backup.Storage;
using Backup.Contracts;

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

    /// <summary>Trying again later may succeed without anyone changing anything (the source refused the connection, the store was busy).</summary>
    public bool Transient { get; init; }

    public bool WorthRetrying => !Succeeded && (Transient || ErrorCode == BackupErrorCodes.ConnectionFailed);

    public static DumpResult Failure(string errorCode, string reason, bool transient = false) =>
        new() { ErrorCode = errorCode, Reason = reason, Transient = transient };

    /// <summary>The request names a source this dumper has no settings for.</summary>
    public static DumpResult UnknownSource(string source, IEnumerable<string> configured) => Failure(BackupErrorCodes.UnknownSource,
        $"No source named '{ClipName(source)}' is configured in the dumper. Configured sources: {string.Join(", ", configured.Order())}. " +
        "Add it under Sources:<name> or fix the request.");

    /// <summary>The BackupFailed that reports this failure of <paramref name="request"/>.</summary>
    public Backup.Contracts.BackupFailed ToEvent(Backup.Contracts.BackupRequested request, DateTimeOffset failedAt) => new()
    {
        RunId = request.RunId,
        Source = ClipName(request.Source),
        FailedAt = failedAt,
        ErrorCode = ErrorCode,
        Reason = Reason,
    };

    /// <summary>A source name as it may be echoed in an event: at most 63 characters (a longer one is not a valid name anyway).</summary>
    public static string ClipName(string value) => value.Length <= 63 ? value : value[..63];
}
