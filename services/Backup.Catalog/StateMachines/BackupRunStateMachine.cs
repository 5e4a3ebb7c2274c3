using Backup.Database;
using Backup.Database.Jobs;
using Backup.Database.Outbox;
using Backup.Catalog.DataChecks;
using Backup.Catalog.Options;
using Backup.Catalog.Timeouts;
using Backup.Contracts;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// Records each run in the catalog: Requested → Running → Completed, Failed or TimedOut; Completed → Delivered;
/// Completed or Delivered → Expired; Failed or TimedOut → Completed when the artifact turns up after all. Every event
/// is correlated by its run id. An event may arrive before the one that logically precedes it (the dumper's
/// BackupStarted can overtake the scheduler's BackupRequested on another queue), so any of Requested, Started,
/// Completed, Failed and Delivered may open a run. A BackupDelivered that overtakes BackupCompleted is recorded, and
/// the completion then takes the run straight to Delivered, keeping the artifact's details. Duplicates are ignored
/// explicitly; each distinct BackupStarted (a retry or a takeover of the dump) counts one attempt, in any state.
/// A run opened (Requested, Running) gets a <see cref="BackupRun.TimeoutAt"/>, renewed by each new attempt and cleared
/// when it ends; the catalog's sweeper finds runs past it whose dump is not alive and raises <see cref="Timeout"/>
/// for each (in process, in the sweeper's transaction), and this machine moves the run to TimedOut and puts its
/// BackupFailed (ErrorCode TimedOut) in outbox_messages. This machine is the only writer of a run's state. Each change
/// of state is written to backup_run_transitions by <see cref="BackupRunTimeline"/>, in the same transaction as the
/// run and its outbox row: all or nothing. A run's first completion also records its tables' row counts and compares
/// them with the source's recent backups (<see cref="BackupDataCheck"/>): a finding marks the run and puts one
/// BackupDataSuspicious in the outbox, in the same transaction, without changing the run's state.
/// </summary>
public sealed class BackupRunStateMachine : MassTransitStateMachine<BackupRun>
{
    const int MaxAttemptStarts = 100;

    public State Requested { get; private set; } = null!;
    public State Running { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State TimedOut { get; private set; } = null!;
    public State Delivered { get; private set; } = null!;
    public State Expired { get; private set; } = null!;

    public Event<BackupRequested> BackupRequested { get; private set; } = null!;
    public Event<BackupStarted> BackupStarted { get; private set; } = null!;
    public Event<BackupCompleted> BackupCompleted { get; private set; } = null!;
    public Event<BackupFailed> BackupFailed { get; private set; } = null!;
    public Event<BackupDelivered> BackupDelivered { get; private set; } = null!;
    public Event<BackupDeliveryFailed> BackupDeliveryFailed { get; private set; } = null!;
    public Event<BackupExpired> BackupExpired { get; private set; } = null!;

    /// <summary>The catalog's timer: the run is past its timeout and no dump of it is alive (see RunTimeoutSweeper).</summary>
    public Event<RunTimedOut> Timeout { get; private set; } = null!;

    public BackupRunStateMachine(TimeProvider clock, IOptions<CatalogOptions> options, BackupDataCheck dataCheck)
    {
        var catalog = options.Value;
        InstanceState(run => run.CurrentState);
        this.ConnectStateObserver(new BackupRunTimeline(clock, catalog));

        // Events that may open a run insert its row first (INSERT … ON CONFLICT DO NOTHING in the repository), then
        // load it locked: two first events of one run racing on two instances both find the row, neither fails.
        Event(() => BackupRequested, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupStarted, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupCompleted, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupFailed, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupDelivered, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupDeliveryFailed, e => { e.CorrelateById(m => m.Message.RunId); e.InsertOnInitial = true; });
        Event(() => BackupExpired, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            // Retention only expires runs the catalog lists as Completed or Delivered: an unknown one has nothing to update.
            e.OnMissingInstance(m => m.Discard());
        });
        // Raised only for a run the sweeper found (and holds locked): never opens one.
        Event(() => Timeout, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            e.OnMissingInstance(m => m.Discard());
        });

        // The timeout of an open run: from its request, or from its latest attempt's start.
        void Open(BehaviorContext<BackupRun> c) => c.Saga.TimeoutAt = clock.GetUtcNow() + catalog.RunTimeoutOf(c.Saga.Source);
        void KeepOpen(BehaviorContext<BackupRun> c) { if (c.Saga.TimeoutAt is null) Open(c); }
        static void Close(BehaviorContext<BackupRun> c) => c.Saga.TimeoutAt = null;
        void Touch(BehaviorContext<BackupRun> c) => c.Saga.UpdatedAt = clock.GetUtcNow();

        // The run's first completion (a repeat is ignored below): its row counts compared, in the saga's transaction.
        Task CheckData(BehaviorContext<BackupRun, BackupCompleted> c) =>
            c.TryGetPayload(out CatalogDbContext? db)
                ? dataCheck.RecordAsync(db, c.Saga, c.Message, c.CancellationToken)
                : throw new InvalidOperationException("A completion is recorded only on the catalog database: its row counts go to it with the run.");

        Initially(
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Open).Then(Touch).TransitionTo(Requested),
            When(BackupStarted).Then(c => RecordStart(c.Saga, c.Message)).Then(Open).Then(Touch).TransitionTo(Running),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).ThenAsync(CheckData).Then(Close).Then(Touch).TransitionTo(Completed),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Close).Then(Touch).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Open).Then(Touch).TransitionTo(Running),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Open).Then(Touch).TransitionTo(Running));

        During(Requested,
            Ignore(BackupRequested), Ignore(BackupExpired),
            When(BackupStarted).Then(c => RecordStart(c.Saga, c.Message)).Then(Open).Then(Touch).TransitionTo(Running),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).ThenAsync(CheckData).Then(Close).Then(Touch).TransitionTo(Completed),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Close).Then(Touch).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(KeepOpen).Then(Touch).TransitionTo(Running),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(KeepOpen).Then(Touch).TransitionTo(Running));

        During(Running,
            Ignore(BackupExpired),
            // A retry or a takeover of the dump starts a new attempt, with a fresh timeout; a repeat changes nothing.
            When(BackupStarted, c => !c.Saga.AttemptStarts.Contains(AttemptTime(c.Message)))
                .Then(c => RecordStart(c.Saga, c.Message)).Then(Open).Then(Touch),
            Ignore(BackupStarted, c => c.Saga.AttemptStarts.Contains(AttemptTime(c.Message))),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).ThenAsync(CheckData).Then(Close).Then(Touch)
                .IfElse(c => c.Saga.DeliveredAt is not null,
                    delivered => delivered.TransitionTo(Delivered),
                    notYet => notYet.TransitionTo(Completed)),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Close).Then(Touch).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch));

        During(Completed,
            Ignore(BackupCompleted), Ignore(BackupFailed), Ignore(Timeout),
            When(BackupStarted).Then(c => RecordLateStart(c.Saga, c.Message)).Then(Touch),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch).TransitionTo(Delivered),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch),
            When(BackupExpired).Then(c => RecordExpiry(c.Saga, c.Message)).Then(Touch).TransitionTo(Expired));

        During(Delivered,
            Ignore(BackupCompleted), Ignore(BackupFailed), Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(Timeout),
            When(BackupStarted).Then(c => RecordLateStart(c.Saga, c.Message)).Then(Touch),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch),
            When(BackupExpired).Then(c => RecordExpiry(c.Saga, c.Message)).Then(Touch).TransitionTo(Expired));

        // A run that failed may still turn out to have an artifact (a BackupCompleted arriving after the failure): it
        // then exists and must be known to the catalog, or retention would never see it. (A repeated request of a
        // Failed run is not dumped again: the dumper reads the run's state, BackupRunStates.DumpOver.)
        During(Failed,
            Ignore(BackupFailed), Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired), Ignore(Timeout),
            When(BackupStarted).Then(c => RecordLateStart(c.Saga, c.Message)).Then(Touch),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).ThenAsync(CheckData).Then(Touch).TransitionTo(Completed),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch));

        // Only an open run times out, and only when it is still past its timeout (a new attempt may have renewed it).
        During(Requested, Running,
            When(Timeout, c => c.Saga.TimeoutAt is { } due && due <= c.Message.At)
                .Then(c => RecordTimeout(c, catalog)).TransitionTo(TimedOut),
            Ignore(Timeout, c => c.Saga.TimeoutAt is not { } due || due > c.Message.At));

        // The catalog gave the run up. Its own BackupFailed (ErrorCode TimedOut) comes back here and changes nothing;
        // the dumper's verdict, when it comes after all, wins: a late artifact makes the run Completed (or Delivered),
        // a late failure with its real cause makes it Failed.
        During(TimedOut,
            Ignore(BackupExpired), Ignore(Timeout),
            Ignore(BackupFailed, c => c.Message.ErrorCode == BackupErrorCodes.TimedOut),
            When(BackupFailed, c => c.Message.ErrorCode != BackupErrorCodes.TimedOut)
                .Then(c => RecordFailure(c.Saga, c.Message)).Then(Touch).TransitionTo(Failed),
            When(BackupStarted).Then(c => RecordLateStart(c.Saga, c.Message)).Then(Touch),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).ThenAsync(CheckData).Then(Touch)
                .IfElse(c => c.Saga.DeliveredAt is not null,
                    delivered => delivered.TransitionTo(Delivered),
                    notYet => notYet.TransitionTo(Completed)),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch));

        During(Expired,
            Ignore(BackupRequested), Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed),
            Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired), Ignore(Timeout));
    }

    // A late BackupRequested only fills in what the run didn't know yet; it never moves the run back.
    static void RecordRequest(BackupRun run, BackupRequested message)
    {
        if (run.Source.Length == 0) run.Source = Text.Clip(message.Source, 63);
        run.RequestedAt ??= message.RequestedAt;
        run.RequestedBy ??= Text.Clip(message.RequestedBy, 200);
    }

    /// <summary>A new attempt of an open run: counted, and the run's start is the latest attempt's.</summary>
    static void RecordStart(BackupRun run, BackupStarted message)
    {
        run.Source = Text.Clip(message.Source, 63);
        if (CountAttempt(run, message) && (run.StartedAt is null || message.StartedAt > run.StartedAt))
            run.StartedAt = message.StartedAt;
    }

    /// <summary>A BackupStarted that arrives after the run ended still counts its attempt; the run's times stay.</summary>
    static void RecordLateStart(BackupRun run, BackupStarted message)
    {
        CountAttempt(run, message);
        run.StartedAt ??= message.StartedAt;
    }

    /// <summary>Counts the attempt unless its start is known already (a repeat of the same BackupStarted).</summary>
    static bool CountAttempt(BackupRun run, BackupStarted message)
    {
        var at = AttemptTime(message);
        if (run.AttemptStarts.Contains(at)) return false;
        if (run.AttemptStarts.Count < MaxAttemptStarts) run.AttemptStarts.Add(at);
        run.Attempts++;
        return true;
    }

    /// <summary>An attempt's start in UTC at PostgreSQL's microsecond precision, so it compares equal after a round trip.</summary>
    static DateTimeOffset AttemptTime(BackupStarted message) => message.StartedAt.ToPostgresPrecision();

    /// <summary>The artifact and its attempt's start: the run's times are those of the attempt that made it.</summary>
    static void RecordCompletion(BackupRun run, BackupCompleted message)
    {
        run.Source = Text.Clip(message.Source, 63);
        run.StartedAt = message.StartedAt;
        run.CompletedAt = message.CompletedAt;
        run.ArtifactKey = Text.Clip(message.ArtifactKey, 300);
        run.SizeBytes = message.SizeBytes;
        run.RawSizeBytes = message.RawSizeBytes;
        run.Sha256 = Text.Clip(message.Sha256, 64);
        run.FailureCode = null;
        run.FailureReason = null;
        run.TimeoutAt = null;
    }

    static void RecordFailure(BackupRun run, BackupFailed message)
    {
        run.Source = Text.Clip(message.Source, 63);
        run.FailedAt = message.FailedAt;
        run.FailureCode = Text.Clip(message.ErrorCode, 64);
        run.FailureReason = Text.Clip(message.Reason, 2000);
    }

    static void RecordDelivery(BackupRun run, BackupDelivered message)
    {
        if (run.Source.Length == 0) run.Source = Text.Clip(message.Source, 63);
        run.DeliveredAt = message.DeliveredAt;
        run.DeliveryError = null;
    }

    static void RecordDeliveryFailure(BackupRun run, BackupDeliveryFailed message)
    {
        if (run.Source.Length == 0) run.Source = Text.Clip(message.Source, 63);
        if (run.DeliveredAt is null) run.DeliveryError = Text.Clip(message.Reason, 2000);
    }

    /// <summary>
    /// Gives the run up: its failure is recorded, and the BackupFailed (ErrorCode TimedOut) that alerts the
    /// administrators goes to outbox_messages through the catalog DbContext the repository put on the message, saved
    /// and committed with the run and its timeline row. Without that DbContext the alert could be lost: it throws.
    /// </summary>
    static void RecordTimeout(BehaviorContext<BackupRun, RunTimedOut> context, CatalogOptions catalog)
    {
        var run = context.Saga;
        var at = context.Message.At;
        var reason = TimeoutReason(run, catalog);
        run.TimedOutAt = at;
        run.TimeoutAt = null;
        run.FailureCode = BackupErrorCodes.TimedOut;
        run.FailureReason = reason;
        run.UpdatedAt = at;
        if (!context.TryGetPayload(out CatalogDbContext? db))
            throw new InvalidOperationException("A run is timed out only on the catalog database: its BackupFailed goes to the outbox with it.");
        db.OutboxMessages.Add(OutboxMessages.For(new BackupFailed
        {
            RunId = run.CorrelationId,
            Source = run.Source,
            FailedAt = at,
            ErrorCode = BackupErrorCodes.TimedOut,
            Reason = reason,
        }, at));
    }

    /// <summary>What the administrators read in the time-out's alert: what happened, and what to check.</summary>
    static string TimeoutReason(BackupRun run, CatalogOptions catalog) => Text.Clip(
        $"Backup run {run.CorrelationId} of source '{run.Source}' reported nothing for {catalog.RunTimeoutOf(run.Source)} " +
        $"(it was {run.CurrentState}, last heard of at {run.UpdatedAt:u}) and no dumper is working on it. " +
        (run.CurrentState == BackupRunStates.Requested
            ? "No dumper started it: check that a dumper is running and consuming from RabbitMQ, and that it knows the source. "
            : "Its dump stopped without a result: check the dumper's logs and the dump job (catalog table jobs, kind " +
              $"'{JobKinds.Dump}', key '{JobKinds.KeyOf(run.CorrelationId)}'). ") +
        $"If the run's backup completes after all, the catalog records it; raise Catalog:RunTimeouts:{run.Source} if dumps of this source take longer.",
        2000);

    static void RecordExpiry(BackupRun run, BackupExpired message)
    {
        run.ExpiredAt = message.ExpiredAt;
        run.ExpiryReason = Text.Clip(message.Reason, 500);
    }
}
