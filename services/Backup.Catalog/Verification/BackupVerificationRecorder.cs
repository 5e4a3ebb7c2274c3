using System.Text.Json;
using Backup.Database;
using Backup.Database.Verification;
using Backup.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Backup.ServiceDefaults;

namespace Backup.Catalog.Verification;

/// <summary>
/// The one writer of backup_verifications: each run's verification, from the drill's events. Queued opens a pending
/// row; Verified, VerificationFailed and Skipped decide it. Events may arrive in any order and more than once: a
/// decided row is never taken back to pending, a repeat changes nothing, and of two decisions the later one stands.
/// </summary>
public sealed class BackupVerificationRecorder(CatalogDbContext catalog, TimeProvider clock) :
    IConsumer<BackupVerificationQueued>, IConsumer<BackupVerified>, IConsumer<BackupVerificationFailed>, IConsumer<BackupVerificationSkipped>
{
    public Task Consume(ConsumeContext<BackupVerificationQueued> context)
    {
        var m = context.Message;
        return catalog.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO backup_verifications (run_id, source, artifact_key, state, queued_at, updated_at)
            VALUES ({m.RunId}, {Text.Clip(m.Source, 63)}, {Text.Clip(m.ArtifactKey, 300)}, {VerificationStates.Pending}, {m.QueuedAt.ToPostgresPrecision()}, {Now})
            ON CONFLICT (run_id) DO UPDATE SET queued_at = COALESCE(backup_verifications.queued_at, EXCLUDED.queued_at)
            """, context.CancellationToken);
    }

    public Task Consume(ConsumeContext<BackupVerified> context)
    {
        var m = context.Message;
        return DecideAsync(new Decision(m.RunId, m.Source, m.ArtifactKey, VerificationStates.Passed, m.StartedAt, m.VerifiedAt,
            m.RecoveryTimeSeconds, m.RtoTargetSeconds, null, null, [], m.Steps, m.Tables, m.Checks), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<BackupVerificationFailed> context)
    {
        var m = context.Message;
        return DecideAsync(new Decision(m.RunId, m.Source, m.ArtifactKey, VerificationStates.Failed, m.StartedAt, m.FailedAt,
            null, null, m.ErrorCode, m.Reason, m.Failures, m.Steps, m.Tables, m.Checks), context.CancellationToken);
    }

    public Task Consume(ConsumeContext<BackupVerificationSkipped> context)
    {
        var m = context.Message;
        return DecideAsync(new Decision(m.RunId, m.Source, m.ArtifactKey, VerificationStates.Skipped, null, m.SkippedAt,
            null, null, null, m.Reason, [], [], [], []), context.CancellationToken);
    }

    sealed record Decision(Guid RunId, string Source, string ArtifactKey, string State, DateTimeOffset? StartedAt, DateTimeOffset FinishedAt,
        double? RecoverySeconds, double? RtoTargetSeconds, string? ErrorCode, string? Reason, IReadOnlyList<string> Failures,
        IReadOnlyList<DrillStep> Steps, IReadOnlyList<RestoredTable> Tables, IReadOnlyList<DrillCheck> Checks);

    Task DecideAsync(Decision d, CancellationToken cancellationToken)
    {
        var failures = Json(d.Failures.Select(f => Text.Clip(f, 500)).Take(100));
        var steps = Json(d.Steps);
        var tables = Json(d.Tables);
        var checks = Json(d.Checks);
        return catalog.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO backup_verifications (run_id, source, artifact_key, state, started_at, finished_at, recovery_seconds,
                rto_target_seconds, error_code, reason, failures, steps, tables, checks, updated_at)
            VALUES ({d.RunId}, {Text.Clip(d.Source, 63)}, {Text.Clip(d.ArtifactKey, 300)}, {d.State}, {d.StartedAt.ToPostgresPrecision()}, {d.FinishedAt.ToPostgresPrecision()},
                {d.RecoverySeconds}, {d.RtoTargetSeconds}, {Text.Clip(d.ErrorCode, 64)}, {Text.Clip(d.Reason, 2000)},
                {failures}::jsonb, {steps}::jsonb, {tables}::jsonb, {checks}::jsonb, {Now})
            ON CONFLICT (run_id) DO UPDATE SET
                state = EXCLUDED.state, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                recovery_seconds = EXCLUDED.recovery_seconds, rto_target_seconds = EXCLUDED.rto_target_seconds,
                error_code = EXCLUDED.error_code, reason = EXCLUDED.reason, failures = EXCLUDED.failures,
                steps = EXCLUDED.steps, tables = EXCLUDED.tables, checks = EXCLUDED.checks, updated_at = EXCLUDED.updated_at
            WHERE backup_verifications.state = 'pending' OR backup_verifications.finished_at < EXCLUDED.finished_at
            """, cancellationToken);
    }

    DateTimeOffset Now => clock.GetUtcNow().ToPostgresPrecision();

    static string Json<T>(IEnumerable<T> values) => JsonSerializer.Serialize(values, JsonSerializerOptions.Web);

}
