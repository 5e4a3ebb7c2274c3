using Backup.ServiceDefaults;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Catalog.Options;
using Backup.Catalog.Outbox;
using Backup.Catalog.StateMachines;
using MassTransit.Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.Timeouts;

/// <summary>
/// The durable timer of the backup-run saga. Every Catalog:SweepInterval it takes, in one transaction, the runs still
/// Requested or Running whose <see cref="BackupRun.TimeoutAt"/> has passed and whose dump job is not alive: neither
/// heartbeating itself (jobs: kind <see cref="JobKinds.Dump"/>, key <see cref="JobKinds.KeyOf"/> the run id, state
/// 'running', heartbeat younger than Catalog:HeartbeatGrace) nor queued behind a dump of its group (its source) that
/// is, locked with FOR UPDATE SKIP LOCKED (replicas share the work, and a run the saga is updating right now is left
/// for the next sweep). It decides nothing about the run itself: for each it raises <see cref="RunTimedOut"/> in the
/// saga, in process through the scoped mediator, whose repository joins this transaction; the state machine moves the
/// run to TimedOut, writes its timeline row and stores its BackupFailed (ErrorCode TimedOut) in outbox_messages. The
/// batch commits together (state, timeline and alert of every run, or nothing); the outbox dispatcher publishes.
/// </summary>
public sealed partial class RunTimeoutSweeper(
    IServiceScopeFactory scopes,
    OutboxSignal outbox,
    TimeProvider clock,
    IOptions<CatalogOptions> options,
    ILogger<RunTimeoutSweeper> logger) : PeriodicWork(clock)
{
    const int BatchSize = 100;

    // r.* leaves out xmin, the row version, which the entity maps. Values are parameters; the job key's expression is
    // code (JobKinds), never input.
    static readonly string DueRuns = $$"""
        SELECT r.*, r.xmin FROM backup_runs r
        WHERE r.timeout_at <= {0}
          AND r.current_state IN ({1}, {2})
          AND NOT EXISTS (
            SELECT 1 FROM jobs j
            WHERE j.kind = {3} AND j.key = {{JobKinds.KeySql("r.correlation_id")}}
              AND (j.state = {4} AND j.heartbeat_at > {5}
                   OR j.state = {6} AND EXISTS (
                     SELECT 1 FROM jobs g
                     WHERE g.kind = j.kind AND g."group" = j."group"
                       AND g.state = {4} AND g.heartbeat_at > {5})))
        ORDER BY r.timeout_at
        LIMIT {7}
        FOR UPDATE OF r SKIP LOCKED
        """;

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
        var now = Clock.GetUtcNow().ToPostgresPrecision();
        var aliveSince = now - catalog.HeartbeatGrace;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var saga = scope.ServiceProvider.GetRequiredService<IScopedMediator>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.BackupRuns.FromSqlRaw(DueRuns, now, BackupRunStates.Requested, BackupRunStates.Running,
                JobKinds.Dump, JobStates.Running, aliveSince, JobStates.Queued, BatchSize)
            .AsNoTracking().ToListAsync(cancellationToken);

        foreach (var run in due)
        {
            await saga.Send(new RunTimedOut { RunId = run.CorrelationId, At = now }, cancellationToken);
            TimedOut(logger, run.CorrelationId, run.Source, run.CurrentState);
        }
        await transaction.CommitAsync(cancellationToken);
        if (due.Count > 0) outbox.Notify();
        return due.Count;
    }

    [LoggerMessage(4101, LogLevel.Warning, "Run {RunId} of source {Source} timed out in state {State}")]
    static partial void TimedOut(ILogger logger, Guid runId, string source, string state);

    [LoggerMessage(4102, LogLevel.Error, "Could not sweep timed-out runs; trying again at the next tick")]
    static partial void SweepFailed(ILogger logger, Exception exception);
}
