namespace Backup.Contracts;

/// <summary>
/// Every administrator of the source has the backup email: the mail server took it (or it was written to the pickup
/// folder). Published again when a repeated BackupCompleted finds it already sent.
/// </summary>
public sealed record BackupDelivered
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset DeliveredAt { get; init; }

    /// <summary>How many administrators have the email. Addresses are personal data and are not carried.</summary>
    public required int RecipientCount { get; init; }

    /// <summary>"smtp" or "pickup-directory".</summary>
    public required string Channel { get; init; }
}
