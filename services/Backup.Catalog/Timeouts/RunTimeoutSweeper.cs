using Backup.ServiceDefaults;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Database.Outbox;
using Backup.Catalog.Options;
using Backup.Catalog.Outbox;
using Backup.Catalog.StateMachines;
using Backup.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.Timeouts;

/// <summary>
/// The durable timer of the backup-run saga. Every Catalog:SweepInterval it takes, in one transaction, the runs still
/// Requested or Running whose <see cref="BackupRun.TimeoutAt"/> has passed and whose dump job is not alive: neither
/// heartbeating itself (jobs: kind 'dump', key = run id, state 'running', heartbeat younger than
/// Catalog:HeartbeatGrace) nor queued behind a dump of its group (its source) that is, locked with
/// FOR UPDATE SKIP LOCKED (replicas share the work, and a run the saga is updating right now is left for the next
/// sweep); moves each to TimedOut with a transition row, and stores its BackupFailed (ErrorCode TimedOut) in
/// outbox_messages. The state change and the event are committed together; the outbox dispatcher publishes the event.
/// </summary>
public sealed partial class RunTimeoutSweeper(
    IServiceScopeFactory scopes,
    OutboxSignal outbox,
    TimeProvider clock,
    IOptions<CatalogOptions> options,
    ILogger<RunTimeoutSweeper> logger) : PeriodicWork(clock)
{
    const int BatchSize = 100;
    const string DumpJobKind = "dump";

    readonly CatalogOptions catalog = options.Value;

    protected override TimeSpan Interval => catalog.SweepInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        while (await SweepAsync(cancellationToken) == BatchSize) { }
    }

    protected override void Failed(Exception exception) => SweepFailed(logger, exception); // the catalog database is away: again at the next tick

    /// <summary>Times out one batch of due runs; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        // PostgreSQL keeps microseconds: the times written are the times read back.
        var now = Clock.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var aliveSince = now - catalog.HeartbeatGrace;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // r.* leaves out xmin, the row version; it is named so the update below is checked against it.
        var due = await db.BackupRuns.FromSql($"""
            SELECT r.*, r.xmin FROM backup_runs r
            WHERE r.timeout_at <= {now}
              AND r.current_state IN ({BackupRunStates.Requested}, {BackupRunStates.Running})
              AND NOT EXISTS (
                SELECT 1 FROM jobs j
                WHERE j.kind = {DumpJobKind} AND j.key = replace(r.correlation_id::text, '-', '')
                  AND (j.state = {JobStates.Running} AND j.heartbeat_at > {aliveSince}
                       OR j.state = {JobStates.Queued} AND EXISTS (
                         SELECT 1 FROM jobs g
                         WHERE g.kind = j.kind AND g."group" = j."group"
                           AND g.state = {JobStates.Running} AND g.heartbeat_at > {aliveSince})))
            ORDER BY r.timeout_at
            LIMIT {BatchSize}
            FOR UPDATE OF r SKIP LOCKED
            """).AsTracking().ToListAsync(cancellationToken);

        foreach (var run in due)
        {
            var from = run.CurrentState;
            var reason = Reason(run, from);
            run.CurrentState = BackupRunStates.TimedOut;
            run.TimedOutAt = now;
            run.TimeoutAt = null;
            run.FailureCode = BackupRunStateMachine.TimedOutErrorCode;
            run.FailureReason = reason;
            run.UpdatedAt = now;
            db.BackupRunTransitions.Add(new BackupRunTransition
            {
                RunId = run.CorrelationId,
                FromState = from,
                ToState = BackupRunStates.TimedOut,
                Event = "Timeout",
                At = now,
                Detail = BackupRunStateMachine.Clip(
                    $"nothing heard for {catalog.RunTimeoutOf(run.Source)}, no dump heartbeat within {catalog.HeartbeatGrace}", 500),
            });
            db.OutboxMessages.Add(OutboxMessages.For(new BackupFailed
            {
                RunId = run.CorrelationId,
                Source = run.Source,
                FailedAt = now,
                ErrorCode = BackupRunStateMachine.TimedOutErrorCode,
                Reason = reason,
            }, now));
            TimedOut(logger, run.CorrelationId, run.Source, from);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (due.Count > 0) outbox.Notify();
        return due.Count;
    }

    string Reason(BackupRun run, string state) => BackupRunStateMachine.Clip(
        $"Backup run {run.CorrelationId} of source '{run.Source}' reported nothing for {catalog.RunTimeoutOf(run.Source)} " +
        $"(it was {state}, last heard of at {run.UpdatedAt:u}) and no dumper is working on it. " +
        (state == BackupRunStates.Requested
            ? "No dumper started it: check that a dumper is running and consuming from RabbitMQ, and that it knows the source. "
            : "Its dump stopped without a result: check the dumper's logs and the dump job (catalog table jobs, kind 'dump', " +
              $"key '{run.CorrelationId:N}'). ") +
        $"If the run's backup completes after all, the catalog records it; raise Catalog:RunTimeouts:{run.Source} if dumps of this source take longer.",
        2000);

    [LoggerMessage(4101, LogLevel.Warning, "Run {RunId} of source {Source} timed out in state {State}")]
    static partial void TimedOut(ILogger logger, Guid runId, string source, string state);

    [LoggerMessage(4102, LogLevel.Error, "Could not sweep timed-out runs; trying again at the next tick")]
    static partial void SweepFailed(ILogger logger, Exception exception);
}
