using System.Text.Json;
using Backup.Database.Verification;
using Backup.Contracts;

namespace Backup.Api.Endpoints;

/// <summary>
/// A run's verification by a restore drill, as the list shows it: a fact beside the run's state (a Completed run may
/// be pending, passed, failed or skipped). From the catalog's backup_verifications row.
/// </summary>
public sealed record RunVerificationSummary(
    string State, DateTimeOffset? QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? RecoverySeconds,
    double? RtoTargetSeconds, bool? OverTarget, string? ErrorCode, string? Reason);

/// <summary>A run's verification with what the drill proved: every failed proof, the timed steps, each table's rows and the source's checks.</summary>
public sealed record RunVerification(
    string State, DateTimeOffset? QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? RecoverySeconds,
    double? RtoTargetSeconds, bool? OverTarget, string? ErrorCode, string? Reason, IReadOnlyList<string> Failures,
    IReadOnlyList<DrillStep> Steps, IReadOnlyList<RestoredTable> Tables, IReadOnlyList<DrillCheck> Checks);

/// <summary>How a source's backups are drilled (its drill_policies row).</summary>
public sealed record SourceDrills(TimeSpan Every, TimeSpan RtoTarget);

/// <summary>A source's newest backup that a drill proved restorable.</summary>
public sealed record LastVerifiedBackup(Guid RunId, DateTimeOffset CompletedAt, DateTimeOffset VerifiedAt, long AgeSeconds,
    double? RecoverySeconds, double? RtoTargetSeconds, bool? OverTarget);

/// <summary>The API's views of a backup_verifications row (its jsonb columns as the catalog's recorder writes them: web JSON of the contracts' records).</summary>
public static class RunVerifications
{
    /// <summary>The values of the list's verification filter: the four states, and none (no verification recorded).</summary>
    public const string None = "none";

    public static readonly IReadOnlySet<string> FilterValues = new HashSet<string>(StringComparer.Ordinal)
    {
        VerificationStates.Passed, VerificationStates.Failed, VerificationStates.Pending, VerificationStates.Skipped, None,
    };

    /// <summary>Over the target: the measured recovery took longer than the RTO it was measured against; null unless both are known.</summary>
    public static bool? OverTarget(double? recoverySeconds, double? rtoTargetSeconds) =>
        recoverySeconds is { } recovery && rtoTargetSeconds is { } target ? recovery > target : null;

    public static RunVerificationSummary Summary(BackupVerification v) => new(v.State, v.QueuedAt, v.StartedAt, v.FinishedAt,
        v.RecoverySeconds, v.RtoTargetSeconds, OverTarget(v.RecoverySeconds, v.RtoTargetSeconds), v.ErrorCode, v.Reason);

    public static RunVerification Detail(BackupVerification v) => new(v.State, v.QueuedAt, v.StartedAt, v.FinishedAt,
        v.RecoverySeconds, v.RtoTargetSeconds, OverTarget(v.RecoverySeconds, v.RtoTargetSeconds), v.ErrorCode, v.Reason,
        Read<string>(v.Failures), Read<DrillStep>(v.Steps), Read<RestoredTable>(v.Tables), Read<DrillCheck>(v.Checks));

    static IReadOnlyList<T> Read<T>(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<T>>(json, JsonSerializerOptions.Web) ?? [];
}
