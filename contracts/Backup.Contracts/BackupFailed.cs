namespace Backup.Contracts;

/// <summary>The run ended without an artifact. <see cref="Reason"/> says what a person should check.</summary>
public sealed record BackupFailed
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset FailedAt { get; init; }

    /// <summary>Stable machine-readable cause: one of <see cref="BackupErrorCodes"/>.</summary>
    public required string ErrorCode { get; init; }

    /// <summary>What went wrong and what to check first, in words. Never contains a secret.</summary>
    public required string Reason { get; init; }
}
