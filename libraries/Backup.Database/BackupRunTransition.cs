namespace Backup.Database;

/// <summary>One change of a run's state, for the run's timeline: from, to, the event that caused it, when.</summary>
public sealed class BackupRunTransition
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public string? FromState { get; set; }
    public required string ToState { get; set; }

    /// <summary>The event's name, e.g. "BackupCompleted", or "Timeout" for the catalog's own timer.</summary>
    public required string Event { get; set; }

    public DateTimeOffset At { get; set; }
    public string? Detail { get; set; }
}
