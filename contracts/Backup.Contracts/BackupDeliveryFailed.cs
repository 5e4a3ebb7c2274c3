namespace Backup.Contracts;

/// <summary>
/// The backup email is not delivered, or not known to be: the notifier's retries are spent (the event went back to the
/// broker and is tried again), the server refused it, the outcome is unknown (not resent; the administrators are
/// alerted), or the artifact key is unusable. <see cref="Reason"/> says which.
/// </summary>
public sealed record BackupDeliveryFailed
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset FailedAt { get; init; }
    public required string Reason { get; init; }
}
