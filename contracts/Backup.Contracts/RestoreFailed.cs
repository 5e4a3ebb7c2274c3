namespace Backup.Contracts;

/// <summary>The restore did not happen or did not give back what the manifest promised.</summary>
public sealed record RestoreFailed
{
    public required Guid RestoreId { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset FailedAt { get; init; }

    /// <summary>
    /// ArtifactNotFound, ManifestMissing, IntegrityCheckFailed (size or SHA-256 differ), DecryptionFailed,
    /// TargetExists, ConnectionFailed (the restore server did not answer or refused the login), RestoreFailed
    /// (pg_restore said no), RowCountMismatch, InvalidRequest.
    /// </summary>
    public required string ErrorCode { get; init; }

    public required string Reason { get; init; }
}
