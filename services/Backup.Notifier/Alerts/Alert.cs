namespace Backup.Notifier.Alerts;

/// <summary>
/// An alert as webhooks receive it (the JSON format's body; the Slack format sends <see cref="Text"/> only).
/// Kinds: backup.failed, backup.stale, backup.recovered, delivery.unknown; drill.failed, drill.slow (a drill over its
/// recovery time objective), verification.stale (no verified backup), verification.recovered; backup.data_suspicious (a
/// backup's row counts look wrong next to its source's recent backups: <see cref="Findings"/>).
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

    /// <summary>BackupFailed.ErrorCode for backup.failed, BackupVerificationFailed.ErrorCode for drill.failed.</summary>
    public string? ErrorCode { get; init; }

    public string? Reason { get; init; }

    /// <summary>drill.failed: every failed proof, one line each (BackupVerificationFailed.Failures).</summary>
    public IReadOnlyList<string>? Failures { get; init; }

    /// <summary>backup.data_suspicious: each table whose rows look wrong (schema, table, finding, previousRows, rows).</summary>
    public IReadOnlyList<Backup.Contracts.DataFinding>? Findings { get; init; }

    /// <summary>The first thing to check, for backup.failed, drill.failed and backup.data_suspicious.</summary>
    public string? FirstCheck { get; init; }
}
