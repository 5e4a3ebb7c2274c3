namespace Backup.Catalog.Timeouts;

/// <summary>
/// The catalog's own timer firing for a run: <see cref="RunTimeoutSweeper"/> hands it to the backup-run saga in
/// process (through the scoped mediator, inside the sweeper's transaction), never over the broker. Not a contract.
/// </summary>
public sealed record RunTimedOut
{
    public required Guid RunId { get; init; }

    /// <summary>When the sweeper found the run due, at PostgreSQL's microsecond precision.</summary>
    public required DateTimeOffset At { get; init; }
}
