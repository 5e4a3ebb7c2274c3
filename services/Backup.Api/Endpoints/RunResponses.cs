using System.Text.Json;
using Backup.Contracts;
using Backup.Database;
using Backup.Storage;

namespace Backup.Api.Endpoints;

/// <summary>
/// A run in a list, with its verification beside its state (null when no drill service looked at it). RawSizeBytes: the
/// pg_dump archive's size before compression and encryption, null when the dumper did not report it. DataWarnings: the
/// tables whose rows looked wrong next to the source's recent backups when the run completed (a warning beside the
/// state, which stays Completed); empty when none did.
/// </summary>
public sealed record RunSummary(
    Guid RunId, string Source, string State, RunVerificationSummary? Verification, string? RequestedBy, DateTimeOffset? RequestedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, DateTimeOffset? FailedAt, string? ArtifactKey, long? SizeBytes, long? RawSizeBytes,
    string? Sha256, string? FailureCode, IReadOnlyList<DataFinding> DataWarnings)
{
    public static RunSummary Of(BackupRun run, RunVerificationSummary? verification) => new(run.CorrelationId, run.Source, run.CurrentState,
        verification, run.RequestedBy, run.RequestedAt, run.StartedAt, run.CompletedAt, run.FailedAt, run.ArtifactKey, run.SizeBytes,
        run.RawSizeBytes, run.Sha256, run.FailureCode, DataWarningsOf(run));

    static IReadOnlyList<DataFinding> DataWarningsOf(BackupRun run) => run.DataWarnings is null ? []
        : JsonSerializer.Deserialize<List<DataFinding>>(run.DataWarnings, JsonSerializerOptions.Web) ?? [];
}

/// <summary>A page of runs, newest first.</summary>
public sealed record RunPage(IReadOnlyList<RunSummary> Items, int Page, int PageSize, int Total);

/// <summary>One change of a run's state.</summary>
public sealed record RunTransition(string? From, string To, string Event, DateTimeOffset At, string? Detail);

/// <summary>
/// One run with everything the catalog and the store know of it; <see cref="Verification"/> is the run's verification
/// with the drill's proofs (failures, steps, tables, checks), null when it has none.
/// </summary>
public sealed record RunDetail(
    RunSummary Run, int Attempts, string? FailureReason, DateTimeOffset? DeliveredAt, string? DeliveryError, DateTimeOffset? ExpiredAt,
    string? ExpiryReason, IReadOnlyList<RunTransition> Timeline, ArtifactManifest? Manifest, RunDeletion? Deletion, RunVerification? Verification);

/// <summary>
/// The run's artifact deletion (retention's or by hand): pending while <see cref="DeletedAt"/> is null (the run still
/// says Completed or Delivered, and every sweep tries the store again), done once it is set (the run is, or is about
/// to be, Expired). Null when no deletion was decided.
/// </summary>
public sealed record RunDeletion(string ReasonCode, string Reason, string RequestedBy, DateTimeOffset RequestedAt, int Attempts,
    string? LastError, DateTimeOffset? DeletedAt);

/// <summary>What POST /sources/{source}/backups answers: the run to follow.</summary>
public sealed record BackupAccepted(Guid RunId, string Source, DateTimeOffset RequestedAt, string Status);
