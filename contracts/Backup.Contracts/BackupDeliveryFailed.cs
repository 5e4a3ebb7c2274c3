namespace Backup.Contracts;

/// <summary>The notifier gave up sending the backup email after its retries; the event message stays on the broker's error queue.</summary>
public sealed record BackupDeliveryFailed
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
    public required string Reason { get; init; }
}
