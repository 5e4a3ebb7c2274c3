using MassTransit;

namespace Backup.Catalog.Data;

/// <summary>
/// One backup run as the catalog knows it: the state of the backup-run saga, one row per run id.
/// States: Requested → Running → Completed | Failed; Completed → Delivered; Completed | Delivered → Expired.
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
    public string? Sha256 { get; set; }

    public string? FailureCode { get; set; }
    public string? FailureReason { get; set; }
    public string? DeliveryError { get; set; }
    public string? ExpiryReason { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>PostgreSQL's xmin: a concurrent update of the same row fails instead of being lost.</summary>
    public uint Version { get; set; }
}
