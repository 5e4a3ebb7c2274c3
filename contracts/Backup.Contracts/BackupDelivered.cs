namespace Backup.Contracts;

/// <summary>The notifier has handed the backup email to the mail server (or written it to the pickup folder).</summary>
public sealed record BackupDelivered
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset DeliveredAt { get; init; }

    /// <summary>How many administrators the message went to. Addresses are personal data and are not carried.</summary>
    public required int RecipientCount { get; init; }

    /// <summary>"smtp" or "pickup-directory".</summary>
    public required string Channel { get; init; }
}
