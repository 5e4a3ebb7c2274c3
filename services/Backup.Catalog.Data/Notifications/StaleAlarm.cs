namespace Backup.Catalog.Data.Notifications;

/// <summary>
/// The notifier's stale alarm of one source (a dead man's switch): opened when the source has had no successful
/// backup for longer than its schedule's interval plus a grace, closed (<see cref="RecoveredAt"/>) when a backup
/// succeeds again. Every change is a conditional update, so of several notifier instances exactly one sends each
/// alarm, repeat and recovery message.
/// </summary>
public sealed class StaleAlarm
{
    public required string Source { get; set; }

    /// <summary>When the open (or last) episode was detected.</summary>
    public DateTimeOffset StaleSince { get; set; }

    /// <summary>The source's last successful backup when the episode was detected; null: none ever.</summary>
    public DateTimeOffset? LastSuccessAt { get; set; }

    /// <summary>When the last alarm of the episode was sent; null: not yet.</summary>
    public DateTimeOffset? LastAlertedAt { get; set; }

    /// <summary>Alarms sent in the episode (the first and its repeats).</summary>
    public int Alerts { get; set; }

    /// <summary>Null while the source is stale; when the recovery message was sent.</summary>
    public DateTimeOffset? RecoveredAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
