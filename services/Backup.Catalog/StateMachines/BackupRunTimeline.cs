using Backup.Database;
using Backup.Catalog.Options;
using Backup.Catalog.Timeouts;
using Backup.Contracts;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// Writes each change of a run's state to backup_run_transitions (from, to, event, time, a short detail) for the run's
/// timeline. The row is added to the catalog DbContext the saga repository put on the message's context, so it is
/// saved by the same SaveChanges, in the same transaction as the run: both or neither. A repository without a catalog
/// DbContext (the in-memory one) keeps no timeline. A time-out's row is at the time the run was timed out.
/// </summary>
public sealed class BackupRunTimeline(TimeProvider clock, CatalogOptions catalog) : IStateObserver<BackupRun>
{
    public Task StateChanged(BehaviorContext<BackupRun> context, State currentState, State previousState)
    {
        // A new row is put in the Initial state first (inserted before its first event is applied): not a change to record.
        if (currentState.Name == "Initial" || !context.TryGetPayload(out CatalogDbContext? db)) return Task.CompletedTask;
        db.BackupRunTransitions.Add(new BackupRunTransition
        {
            RunId = context.Saga.CorrelationId,
            FromState = previousState is null || previousState.Name == "Initial" ? null : previousState.Name,
            ToState = currentState.Name,
            Event = Text.Clip(context.Event.Name, 64),
            At = context.TryGetMessage<RunTimedOut>(out var timedOut) ? timedOut.Message.At : clock.GetUtcNow(),
            Detail = Text.Clip(Detail(context), 500),
        });
        return Task.CompletedTask;
    }

    string? Detail(BehaviorContext<BackupRun> context) =>
        context.TryGetMessage<BackupRequested>(out var requested) ? $"requested by {requested.Message.RequestedBy}"
        : context.TryGetMessage<BackupStarted>(out var started) ? $"attempt {context.Saga.Attempts} started {started.Message.StartedAt:O}"
        : context.TryGetMessage<BackupCompleted>(out var completed) ? $"{completed.Message.ArtifactKey} ({completed.Message.SizeBytes} bytes)"
        : context.TryGetMessage<BackupFailed>(out var failed) ? $"{failed.Message.ErrorCode}: {failed.Message.Reason}"
        : context.TryGetMessage<BackupDelivered>(out var delivered) ? $"to {delivered.Message.RecipientCount} recipients by {delivered.Message.Channel}"
        : context.TryGetMessage<BackupDeliveryFailed>(out var deliveryFailed) ? deliveryFailed.Message.Reason
        : context.TryGetMessage<BackupExpired>(out var expired) ? expired.Message.Reason
        : context.TryGetMessage<RunTimedOut>(out _)
            ? $"nothing heard for {catalog.RunTimeoutOf(context.Saga.Source)}, no dump heartbeat within {catalog.HeartbeatGrace}"
        : null;
}
