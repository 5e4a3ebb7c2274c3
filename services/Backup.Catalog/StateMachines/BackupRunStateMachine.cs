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
            Ignore(BackupRequested), Ignore(BackupExpired),
            When(BackupStarted).Then(c => RecordStart(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Completed),
            When(BackupFailed).Then(c => RecordFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Failed),
            When(BackupDelivered).Then(c => RecordDelivery(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running),
            When(BackupDeliveryFailed).Then(c => RecordDeliveryFailure(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Running));

        During(Running,
            Ignore(BackupStarted), Ignore(BackupExpired),
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

        // A run that failed may still succeed when its request is delivered again (a redelivery, a retry with the
        // same run id): its artifact then exists and must be known to the catalog, or retention would never see it.
        During(Failed,
            Ignore(BackupStarted), Ignore(BackupFailed),
            Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired),
            When(BackupCompleted).Then(c => RecordCompletion(c.Saga, c.Message)).Then(Touch(clock)).TransitionTo(Completed),
            When(BackupRequested).Then(c => RecordRequest(c.Saga, c.Message)).Then(Touch(clock)));

        During(Expired,
            Ignore(BackupRequested), Ignore(BackupStarted), Ignore(BackupCompleted), Ignore(BackupFailed),
            Ignore(BackupDelivered), Ignore(BackupDeliveryFailed), Ignore(BackupExpired));
    }

    static Action<BehaviorContext<BackupRun>> Touch(TimeProvider clock) => c => c.Saga.UpdatedAt = clock.GetUtcNow();

    // A late BackupRequested only fills in what the run didn't know yet; it never moves the run back.
    static void RecordRequest(BackupRun run, BackupRequested message)
    {
        if (run.Source.Length == 0) run.Source = Clip(message.Source, 63);
        run.RequestedAt ??= message.RequestedAt;
        run.RequestedBy ??= Clip(message.RequestedBy, 200);
    }

    static void RecordStart(BackupRun run, BackupStarted message)
    {
        run.Source = Clip(message.Source, 63);
        run.StartedAt = message.StartedAt;
    }

    static void RecordCompletion(BackupRun run, BackupCompleted message)
    {
        run.Source = Clip(message.Source, 63);
        run.StartedAt ??= message.StartedAt;
        run.CompletedAt = message.CompletedAt;
        run.ArtifactKey = Clip(message.ArtifactKey, 300);
        run.SizeBytes = message.SizeBytes;
        run.Sha256 = Clip(message.Sha256, 64);
        run.FailureCode = null;
        run.FailureReason = null;
    }

    static void RecordFailure(BackupRun run, BackupFailed message)
    {
        run.Source = Clip(message.Source, 63);
        run.FailedAt = message.FailedAt;
        run.FailureCode = Clip(message.ErrorCode, 64);
        run.FailureReason = Clip(message.Reason, 2000);
    }

    static void RecordDelivery(BackupRun run, BackupDelivered message)
    {
        if (run.Source.Length == 0) run.Source = Clip(message.Source, 63);
        run.DeliveredAt = message.DeliveredAt;
        run.DeliveryError = null;
    }

    static void RecordDeliveryFailure(BackupRun run, BackupDeliveryFailed message)
    {
        if (run.Source.Length == 0) run.Source = Clip(message.Source, 63);
        if (run.DeliveredAt is null) run.DeliveryError = Clip(message.Reason, 2000);
    }

    static void RecordExpiry(BackupRun run, BackupExpired message)
    {
        run.ExpiredAt = message.ExpiredAt;
        run.ExpiryReason = Clip(message.Reason, 500);
    }

    /// <summary>Text from a message is cut to its column's size: an over-long reason must not keep a run out of the catalog.</summary>
    static string Clip(string value, int length) => value.Length <= length ? value : value[..length];
}
