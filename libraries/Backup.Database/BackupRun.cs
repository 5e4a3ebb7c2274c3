using MassTransit;

namespace Backup.Database;

/// <summary>
/// One backup run as the catalog knows it: the state of the backup-run saga, one row per run id.
/// States: Requested → Running → Completed | Failed | TimedOut; Completed → Delivered; Completed | Delivered → Expired.
/// </summary>
public sealed class BackupRun : SagaStateMachineInstance
{
    /// <summary>The run id carried by every event of the run.</summary>
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "";
    public string Source { get; set; } = "";
    public string? RequestedBy { get; set; }

    public DateTimeOffset? RequestedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? FailedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public DateTimeOffset? ExpiredAt { get; set; }

    public string? ArtifactKey { get; set; }
    public long? SizeBytes { get; set; }

    /// <summary>The pg_dump archive's size before compression and encryption (BackupCompleted.RawSizeBytes); null when the dumper did not say.</summary>
    public long? RawSizeBytes { get; set; }
    public string? Sha256 { get; set; }

    public string? FailureCode { get; set; }
    public string? FailureReason { get; set; }
    public string? DeliveryError { get; set; }
    public string? ExpiryReason { get; set; }

    /// <summary>
    /// JSON: what the catalog found suspicious in the backup's row counts next to the source's recent backups
    /// ([{"schema","table","finding","previousRows","rows"}], Backup.Contracts.DataFinding); null when nothing was.
    /// A warning only: the run's state is not changed by it.
    /// </summary>
    public string? DataWarnings { get; set; }

    /// <summary>Dumps started for this run (BackupStarted events, a retry or a takeover each counting one).</summary>
    public int Attempts { get; set; }

    /// <summary>
    /// When each counted attempt started (BackupStarted.StartedAt, in UTC): a repeat of the same BackupStarted is
    /// recognised by its time and not counted again, in whatever order the events arrive. At most 100 are kept.
    /// </summary>
    public List<DateTimeOffset> AttemptStarts { get; set; } = [];

    /// <summary>
    /// When a run still Requested or Running is given up as TimedOut unless its dump job's claim is alive (a running
    /// dump extends it by its heartbeat); null once the run has ended.
    /// </summary>
    public DateTimeOffset? TimeoutAt { get; set; }

    public DateTimeOffset? TimedOutAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>PostgreSQL's xmin: a concurrent update of the same row fails instead of being lost.</summary>
    public uint Version { get; set; }
}
