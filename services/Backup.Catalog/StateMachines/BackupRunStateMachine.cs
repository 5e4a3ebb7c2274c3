using Backup.Catalog.Data;
using Backup.Contracts;
using MassTransit;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// Records each run in the catalog: Requested → Running → Completed or Failed; Completed → Delivered;
/// Completed or Delivered → Expired. Every event is correlated by its run id. An event may arrive before the one
/// that logically precedes it (the dumper's BackupStarted can overtake the scheduler's BackupRequested on another
/// queue), so any of Requested, Started, Completed, Failed and Delivered may open a run. A BackupDelivered that
/// overtakes BackupCompleted is recorded, and the completion then takes the run straight to Delivered, keeping the
/// artifact's details. Duplicates are ignored explicitly.
/// </summary>
public sealed class BackupRunStateMachine : MassTransitStateMachine<BackupRun>
{
    public State Requested { get; private set; } = null!;
    public State Running { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Delivered { get; private set; } = null!;
    public State Expired { get; private set; } = null!;

    public Event<BackupRequested> BackupRequested { get; private set; } = null!;
    public Event<BackupStarted> BackupStarted { get; private set; } = null!;
    public Event<BackupCompleted> BackupCompleted { get; private set; } = null!;
    public Event<BackupFailed> BackupFailed { get; private set; } = null!;
    public Event<BackupDelivered> BackupDelivered { get; private set; } = null!;
    public Event<BackupDeliveryFailed> BackupDeliveryFailed { get; private set; } = null!;
    public Event<BackupExpired> BackupExpired { get; private set; } = null!;

    public BackupRunStateMachine(TimeProvider clock)
    {
        InstanceState(run => run.CurrentState);

        Event(() => BackupRequested, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupStarted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupCompleted, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupFailed, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupDelivered, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupDeliveryFailed, e => e.CorrelateById(m => m.Message.RunId));
        Event(() => BackupExpired, e =>
        {
            e.CorrelateById(m => m.Message.RunId);
            // Retention only expires runs the catalog lists as Completed or Delivered: an unknown one has nothing to update.
            e.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Requested),
            When(BackupStarted).Then(c => RecordStart(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Completed),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running));

        During(Requested,
            Ignore(BackupRequested),
            When(BackupStarted).Then(c => RecordStart(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Completed),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running));

        During(Running,
            Ignore(BackupStarted),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).Then(Touch(clock))
                .IfElse(c => c.Saga.DeliveredAt is not null,
                    delivered => delivered.TransitionTo(Delivered),
                    notYet => notYet.TransitionTo(Completed)),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch(clock)),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch(clock)));

        During(Completed,
            Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Delivered),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch(clock)),
            When(BackupExpired).Then(c => RecordExpiry(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Expired));

        During(Delivered,
            Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed), Ignore(BackupDelivered),
            Ignore(BackupDeliveryFailed),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)),
            When(BackupExpired).Then(c => RecordExpiry(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Expired));

        During(Failed,
            Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed),
            Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)));

        During(Expired,
            Ignore(BackupRequested), Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed),
            Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired));
    }

    static Action<BehaviorContext<BackupRun>> Touch(TimeProvider clock) => c => c.Saga.UpdatedAt = clock.GetUtcNow();

    // A late BackupRequested only fills in what the run didn't know yet; it never moves the run back.
    static void RecordRequest(BackupRun run, BackupRequested message)
    {
        run.Source = message.Source;
        run.RequestedAt ??= message.RequestedAt;
        run.RequestedBy ??= message.RequestedBy;
    }

    static void RecordStart(BackupRun run, BackupStarted message)
    {
        run.Source = message.Source;
        run.StartedAt = message.StartedAt;
    }

    static void RecordCompletion(BackupRun run, BackupCompleted message)
    {
        run.Source = message.Source;
        run.StartedAt ??= message.StartedAt;
        run.CompletedAt = message.CompletedAt;
        run.ArtifactKey = message.ArtifactKey;
        run.SizeBytes = message.SizeBytes;
        run.Sha256 = message.Sha256;
    }

    static void RecordFailure(BackupRun run, BackupFailed message)
    {
        run.Source = message.Source;
        run.FailedAt = message.FailedAt;
        run.FailureCode = message.ErrorCode;
        run.FailureReason = message.Reason;
    }

    static void RecordDelivery(BackupRun run, BackupDelivered message)
    {
        if (run.Source.Length == 0) run.Source = message.Source;
        run.DeliveredAt = message.DeliveredAt;
        run.DeliveryError = null;
    }

    static void RecordDeliveryFailure(BackupRun run, BackupDeliveryFailed message)
    {
        if (run.Source.Length == 0) run.Source = message.Source;
        if (run.DeliveredAt is null) run.DeliveryError = message.Reason;
    }

    static void RecordExpiry(BackupRun run, BackupExpired message)
    {
        run.ExpiredAt = message.ExpiredAt;
        run.ExpiryReason = message.Reason;
    }
}
