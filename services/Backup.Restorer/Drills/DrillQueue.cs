using System.Text.Json;
using Backup.Database.Jobs;

namespace Backup.Restorer.Drills;

/// <summary>What a drill job holds: the backup to drill, as its BackupCompleted named it.</summary>
public sealed record DrillJobPayload(Guid RunId, string Source, string ArtifactKey, DateTimeOffset CompletedAt, DateTimeOffset QueuedAt);

/// <summary>What <see cref="DrillQueue.EnqueueAsync"/> did.</summary>
public abstract record DrillEnqueued
{
    /// <summary>A drill job was stored (or existed already: <see cref="Again"/>).</summary>
    public sealed record Queued(bool Again) : DrillEnqueued;

    /// <summary>The source was drilled within its interval: no job; the drill that counts for it.</summary>
    public sealed record TooSoon(Guid DrilledRun, DateTimeOffset DrilledAt) : DrillEnqueued;
}

/// <summary>
/// The drill intake's side of the catalog: drill jobs (jobs of kind <see cref="JobKinds.Drill"/>, one per run, grouped by drill server so
/// one drill runs on a server at a time), the "at most one drill per interval" rule, decided under a per-source
/// transaction lock so two backups completing together can't both pass it (the job is stored in that transaction,
/// <see cref="JobQueue.InTransactionAsync"/>), and the source's drill policy row (drill_policies, which this service
/// alone writes).
/// </summary>
public sealed class DrillQueue(JobQueue jobs, TimeProvider clock)
{
    public Task<DrillEnqueued> EnqueueAsync(DrillJobPayload drill, string server, TimeSpan every, string? traceParent,
        CancellationToken cancellationToken) =>
        jobs.InTransactionAsync<DrillEnqueued>(async transaction =>
        {
            await transaction.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('drill-source:' || @source, 0))",
                cancellationToken, ("source", drill.Source));
            if (every > TimeSpan.Zero)
            {
                // Recent drill jobs, and drills recorded in the catalog (jobs are purged after Jobs:KeepFinishedFor).
                await using var recent = transaction.Command("""
                    SELECT run_id, queued_at FROM (
                        SELECT (payload->>'runId')::uuid AS run_id, created_at AS queued_at FROM jobs
                        WHERE kind = @kind AND payload->>'source' = @source AND key <> @key AND created_at > @since
                        UNION ALL
                        SELECT run_id, queued_at FROM backup_verifications
                        WHERE source = @source AND state <> 'skipped' AND run_id <> @run AND queued_at > @since) drills
                    ORDER BY queued_at DESC LIMIT 1
                    """);
                JobTransaction.Add(recent, ("kind", DrillJob.Kind), ("source", drill.Source), ("key", DrillJob.KeyOf(drill.RunId)),
                    ("run", drill.RunId), ("since", clock.GetUtcNow() - every));
                await using var reader = await recent.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                    return new DrillEnqueued.TooSoon(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1));
            }
            var stored = await jobs.EnqueueAsync(transaction, DrillJob.Kind, DrillJob.KeyOf(drill.RunId), "drill-server:" + server,
                JsonSerializer.Serialize(drill, JsonSerializerOptions.Web), traceParent, cancellationToken);
            return new DrillEnqueued.Queued(Again: !stored);
        }, cancellationToken);

    /// <summary>Records how the source is drilled (it is drilled); the retention floor, the notifier and the API read it.</summary>
    public Task RecordPolicyAsync(string source, TimeSpan every, TimeSpan rtoTarget, CancellationToken cancellationToken) =>
        jobs.InTransactionAsync(transaction => transaction.ExecuteAsync("""
            INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES (@source, @every, @rto, @now)
            ON CONFLICT (source) DO UPDATE SET every = EXCLUDED.every, rto_target = EXCLUDED.rto_target, updated_at = EXCLUDED.updated_at
            WHERE drill_policies.every <> EXCLUDED.every OR drill_policies.rto_target <> EXCLUDED.rto_target
            """, cancellationToken, ("source", source), ("every", every), ("rto", rtoTarget), ("now", clock.GetUtcNow())), cancellationToken);

    /// <summary>The source is not drilled (any more).</summary>
    public Task ForgetPolicyAsync(string source, CancellationToken cancellationToken) =>
        jobs.InTransactionAsync(transaction => transaction.ExecuteAsync("DELETE FROM drill_policies WHERE source = @source",
            cancellationToken, ("source", source)), cancellationToken);
}
