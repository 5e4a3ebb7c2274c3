using System.Diagnostics.Metrics;
using Backup.Notifier.Stale;

namespace Backup.Notifier;

/// <summary>
/// The notifier's instruments, on the meter named like the service (its ApplicationName, "Backup.Notifier"): each
/// notification by channel (email, webhook, ping) and outcome (sent, failed, unknown), and, from what the last stale
/// check loaded (no query per scrape), each enabled source's seconds since its last successful backup and whether it
/// is stale, and for sources with restore drills on, the age of the newest verified backup and whether it is too old.
/// </summary>
public sealed class NotifierMetrics
{
    public const string NotificationsName = "backup.notifications";
    public const string LastSuccessAgeName = "backup.source.last_success_age";
    public const string StaleName = "backup.source.stale";
    public const string LastVerifiedAgeName = "backup.source.last_verified_age";
    public const string UnverifiedName = "backup.source.unverified";

    public const string Email = "email";
    public const string Webhook = "webhook";
    public const string Ping = "ping";

    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Unknown = "unknown";

    readonly Counter<long> notifications;

    public NotifierMetrics(IMeterFactory meters, IHostEnvironment host, StaleSources stale, TimeProvider clock)
    {
        var meter = meters.Create(host.ApplicationName);
        notifications = meter.CreateCounter<long>(NotificationsName, "{notification}",
            "Notifications by channel (email, webhook, ping) and outcome (sent, failed, unknown: the mail server may have delivered it).");
        meter.CreateObservableGauge(LastSuccessAgeName, () => stale.Sources.Select(source => new Measurement<double>(
                Math.Max(0, (clock.GetUtcNow() - source.LastSuccessOrSince).TotalSeconds), Tag(source))), "s",
            "Seconds since the source's last successful backup (with none yet, since it was scheduled), as of now; from the last stale check's data.");
        meter.CreateObservableGauge(StaleName, () => stale.Sources.Select(source => new Measurement<int>(source.Stale ? 1 : 0, Tag(source))), "1",
            "1 while the last stale check found the source stale (no successful backup within its schedule's interval plus Notifier:StaleGrace), else 0.");
        meter.CreateObservableGauge(LastVerifiedAgeName, () => stale.Sources.Where(source => source.LastVerifiedOrSince is not null)
                .Select(source => new Measurement<double>(Math.Max(0, (clock.GetUtcNow() - source.LastVerifiedOrSince!.Value).TotalSeconds), Tag(source))), "s",
            "Sources with restore drills on: seconds since the newest backup that passed its drill was made (with none yet, since drills were turned on), as of now; from the last stale check's data.");
        meter.CreateObservableGauge(UnverifiedName, () => stale.Sources.Where(source => source.LastVerifiedOrSince is not null)
                .Select(source => new Measurement<int>(source.Unverified ? 1 : 0, Tag(source))), "1",
            "Sources with restore drills on: 1 while the last stale check found no verified backup within the schedule's interval plus the drill interval plus Notifier:StaleGrace, else 0.");
    }

    public void Notified(string channel, string outcome) =>
        notifications.Add(1, new KeyValuePair<string, object?>("backup.channel", channel), new("backup.outcome", outcome));

    static KeyValuePair<string, object?> Tag(SourceFreshness source) => new("backup.source", source.Source);
}
