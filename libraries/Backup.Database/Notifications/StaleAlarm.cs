namespace Backup.Database.Notifications;

/// <summary>
/// One of the notifier's stale alarms of one source (a dead man's switch), by <see cref="Kind"/>: opened when the
/// source has had no successful backup (kind <see cref="StaleAlarmKinds.Backup"/>), or with restore drills on no
/// verified backup (<see cref="StaleAlarmKinds.Verification"/>), for longer than its allowance; closed
/// (<see cref="RecoveredAt"/>) when that changes. Every change is made under a row lock or as a conditional update,
/// so of several notifier instances exactly one sends each alarm, repeat and recovery message.
/// </summary>
public sealed class StaleAlarm
{
    public required string Source { get; set; }

    /// <summary><see cref="StaleAlarmKinds"/>; with <see cref="Source"/> the key.</summary>
    public required string Kind { get; set; }

    /// <summary>When the open (or last) episode was detected.</summary>
    public DateTimeOffset StaleSince { get; set; }

    /// <summary>The source's last successful (kind verification: last verified) backup when the episode was detected; null: none ever.</summary>
    public DateTimeOffset? LastSuccessAt { get; set; }

    /// <summary>When the last alarm of the episode was sent; null: not yet.</summary>
    public DateTimeOffset? LastAlertedAt { get; set; }

    /// <summary>Alarms sent in the episode (the first and its repeats).</summary>
    public int Alerts { get; set; }

    /// <summary>Null while the source is stale; when the recovery message was sent.</summary>
    public DateTimeOffset? RecoveredAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public static class StaleAlarmKinds
{
    /// <summary>No successful backup within the schedule's interval plus Notifier:StaleGrace.</summary>
    public const string Backup = "backup";

    /// <summary>Restore drills are on for the source, and no backup passed one within max(interval, the drill policy's Every) plus the grace.</summary>
    public const string Verification = "verification";
}
