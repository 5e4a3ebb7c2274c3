namespace Backup.Contracts;

/// <summary>The restore did not happen or did not give back what the manifest promised.</summary>
public sealed record RestoreFailed
{
    public required Guid RestoreId { get; init; }
    public required string ArtifactKey { get; init; }
    public required DateTimeOffset FailedAt { get; init; }

    /// <summary>Stable machine-readable cause: one of <see cref="RestoreErrorCodes"/>.</summary>
    public required string ErrorCode { get; init; }

    public required string Reason { get; init; }
}
