namespace Backup.Notifier.Alerts;

/// <summary>
/// An alert as webhooks receive it (the JSON format's body; the Slack format sends <see cref="Text"/> only).
/// Kinds: backup.failed, backup.stale, backup.recovered, delivery.unknown.
/// </summary>
public sealed record Alert
{
    public required string Kind { get; init; }
    public required string Source { get; init; }
    public Guid? RunId { get; init; }
    public required DateTimeOffset At { get; init; }

    /// <summary>One line, for a chat message's first line or a subject.</summary>
    public required string Title { get; init; }

    /// <summary>The whole message as plain text.</summary>
    public required string Text { get; init; }

    /// <summary>BackupFailed.ErrorCode for backup.failed.</summary>
    public string? ErrorCode { get; init; }

    public string? Reason { get; init; }

    /// <summary>The first thing to check, for backup.failed.</summary>
    public string? FirstCheck { get; init; }
}
