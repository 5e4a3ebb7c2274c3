namespace Backup.Contracts;

/// <summary>Retention has deleted the run's artifact and its manifest. Published (through the catalog's outbox) only after the store's delete succeeded.</summary>
public sealed record BackupExpired
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset ExpiredAt { get; init; }
    public required string ArtifactKey { get; init; }

    /// <summary>Why it was removed, for example "age: completed 2026-10-01T02:00:00Z, older than 30 days".</summary>
    public required string Reason { get; init; }

    /// <summary>What decided it: one of <see cref="ExpiryReasonCodes"/>. Null from publishers that predate it.</summary>
    public string? ReasonCode { get; init; }
}
