namespace Backup.Database.Outbox;

/// <summary>
/// An event to publish, stored in the same transaction as the state change that made it; a dispatcher publishes
/// it and sets <see cref="SentAt"/>. A process that dies between the commit and the publish leaves the row, and the
/// next dispatcher publishes it: nothing lost; consumers ignore a repeat (every event carries its run id).
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>The contract's full type name, e.g. "Backup.Contracts.BackupFailed".</summary>
    public required string MessageType { get; set; }

    /// <summary>The message as JSON (System.Text.Json web defaults).</summary>
    public required string Payload { get; set; }

    /// <summary>
    /// W3C traceparent of the span the row was written in (the consume of the event that led to it, the API request),
    /// so the dispatcher publishes the message in the same trace; null when it was written outside any trace.
    /// </summary>
    public string? TraceParent { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
}
