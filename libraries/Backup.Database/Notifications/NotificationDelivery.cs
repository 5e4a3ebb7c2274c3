namespace Backup.Database.Notifications;

/// <summary>
/// One notification of one run to one recipient: the notifier's record that makes each (run, recipient, kind) sent at
/// most once. A row is claimed (<see cref="NotificationStates.Sending"/>) in a short transaction under a row lock
/// before the mail server is called, and its outcome is recorded after: <see cref="NotificationStates.Sent"/>,
/// <see cref="NotificationStates.Failed"/> (the server certainly did not take it: it is tried again) or
/// <see cref="NotificationStates.Unknown"/> (the message may have been delivered: it is never sent again, and the
/// administrators are alerted instead).
/// </summary>
public sealed class NotificationDelivery
{
    public Guid RunId { get; set; }

    /// <summary>The recipient's address (personal data: kept here, never logged or put in an event).</summary>
    public required string Recipient { get; set; }

    /// <summary>What was sent: <see cref="NotificationKinds"/>.</summary>
    public required string Kind { get; set; }

    public required string Source { get; set; }

    /// <summary><see cref="NotificationStates"/>.</summary>
    public required string State { get; set; }

    /// <summary>How many times a notifier claimed the row to send it.</summary>
    public int Attempts { get; set; }

    /// <summary>The notifier process holding the claim while <see cref="State"/> is sending.</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>Why the last attempt did not end in sent (no addresses, no secrets).</summary>
    public string? LastError { get; set; }
}

public static class NotificationStates
{
    /// <summary>Recorded, never claimed yet.</summary>
    public const string Pending = "pending";

    /// <summary>A notifier is sending it now (or died while it was).</summary>
    public const string Sending = "sending";

    /// <summary>The mail server accepted it (or it was written to the pickup folder).</summary>
    public const string Sent = "sent";

    /// <summary>The mail server certainly did not take it; it is tried again.</summary>
    public const string Failed = "failed";

    /// <summary>The message data was transmitted but no answer came: it may have been delivered. Never resent.</summary>
    public const string Unknown = "unknown";
}

public static class NotificationKinds
{
    /// <summary>The backup email of a completed run.</summary>
    public const string Backup = "backup";

    /// <summary>The alert email of a failed (or timed-out) run.</summary>
    public const string FailureAlert = "failure-alert";

    /// <summary>The alert that another notification of the run has an unknown outcome.</summary>
    public const string OutcomeUnknownAlert = "outcome-unknown-alert";

    /// <summary>The alert email of a run whose backup failed its restore drill (BackupVerificationFailed).</summary>
    public const string DrillFailureAlert = "drill-failure-alert";

    /// <summary>The warning email of a run whose drill passed over the source's recovery time objective.</summary>
    public const string DrillRtoWarning = "drill-rto-warning";

    /// <summary>The warning email of a run whose row counts look wrong next to its source's recent backups (BackupDataSuspicious).</summary>
    public const string DataWarning = "data-warning";

    /// <summary>The same warning to a webhook; the row's recipient is "webhook:&lt;name&gt;" (Notifier:Webhooks), never its URL.</summary>
    public const string DataWarningWebhook = "data-warning-webhook";
}
