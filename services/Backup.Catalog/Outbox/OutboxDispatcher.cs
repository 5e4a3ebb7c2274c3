using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Outbox;
using Backup.Catalog.Options;
using Backup.Contracts;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Catalog.Outbox;

/// <summary>
/// Publishes the events that state changes of the catalog stored in outbox_messages (the saga's
/// BackupFailed for a run it timed out; retention's and the API's BackupExpired), in id order, and marks each one sent. Rows are claimed with
/// FOR UPDATE SKIP LOCKED in a transaction that lasts until they are published and marked, so replicas never publish
/// the same row at once. A publish is retried through a broker outage (PublishUntilSentAsync); a process that dies
/// after publishing and before committing leaves the rows unsent and they are published again: at least once,
/// and every consumer ignores a repeat of an event of a run. It looks when <see cref="OutboxSignal"/> wakes it (rows
/// just committed here) and otherwise every Catalog:OutboxPollInterval. Off with Catalog:DispatchOutbox=false.
/// Each message is published in the trace of the span that wrote its row (<see cref="OutboxMessage.TraceParent"/>).
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    TimeProvider clock,
    IOptions<CatalogOptions> options,
    ILogger<OutboxDispatcher> logger) : PeriodicWork(clock)
{
    const int BatchSize = 20;

    static readonly MethodInfo PublishAsMethod =
        typeof(OutboxDispatcher).GetMethod(nameof(PublishAsAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    protected override TimeSpan Interval => options.Value.OutboxPollInterval;

    protected override WakeUpSignal WakeUp => signal;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.DispatchOutbox)
            return base.ExecuteAsync(stoppingToken);
        DispatchOff(logger);
        return Task.CompletedTask;
    }

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        while (await DispatchAsync(cancellationToken) == BatchSize) { }
    }

    protected override void Failed(Exception exception) => DispatchFailed(logger, exception); // the catalog database is away: again at the next poll

    /// <summary>Publishes one batch of unsent rows; returns how many it published.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages WHERE sent_at IS NULL ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
            .AsTracking()
            .ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var row in rows)
        {
            row.Attempts++;
            if (Read(row) is not { } contract)
                continue; // stays unsent with its error, for an operator; the rows after it still go out
            using (StartPublishSpan(row))
                await PublishAsync(contract.Type, contract.Message, cancellationToken);
            row.SentAt = Clock.GetUtcNow();
            row.LastError = null;
            sent++;
            Dispatched(logger, row.Id, row.MessageType);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return sent;
    }

    /// <summary>
    /// The span the row's message is published in: a child of the span the row was written in (its trace_parent), so
    /// MassTransit's publish span, and every consume of the message, continue that trace.
    /// </summary>
    static Activity? StartPublishSpan(OutboxMessage row)
    {
        ActivityContext.TryParse(row.TraceParent, null, isRemote: true, out var parent);
        var span = CatalogTelemetry.Source.StartActivity("outbox publish", ActivityKind.Internal, parent);
        span?.SetTag("backup.outbox_id", row.Id);
        span?.SetTag("backup.message_type", row.MessageType);
        return span;
    }

    /// <summary>The row's message as its contract type: only types of the Backup.Contracts assembly are published.</summary>
    (Type Type, object Message)? Read(OutboxMessage row)
    {
        var type = typeof(BackupFailed).Assembly.GetType(row.MessageType, throwOnError: false);
        if (type is null || !type.IsClass || !type.IsPublic)
            return Unreadable(row, $"'{row.MessageType}' is not a contract of Backup.Contracts.");
        try
        {
            return JsonSerializer.Deserialize(row.Payload, type, JsonSerializerOptions.Web) is { } message
                ? (type, message)
                : Unreadable(row, "The payload is JSON null.");
        }
        catch (JsonException e)
        {
            return Unreadable(row, $"The payload is not a {type.Name}: {e.Message}");
        }
    }

    (Type Type, object Message)? Unreadable(OutboxMessage row, string problem)
    {
        row.LastError = Text.Clip(problem, 2000);
        Unpublishable(logger, row.Id, problem);
        return null;
    }

    Task PublishAsync(Type type, object message, CancellationToken cancellationToken) =>
        (Task)PublishAsMethod.MakeGenericMethod(type).Invoke(null, [bus, message, Clock, logger, cancellationToken])!;

    // Published by the contract's own type, so it goes to that contract's exchange like any other publish of it.
    static Task PublishAsAsync<T>(IBus bus, object message, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken) where T : class =>
        bus.PublishUntilSentAsync((T)message, clock, logger, cancellationToken);

    [LoggerMessage(4201, LogLevel.Information, "Outbox dispatch is off on this instance (Catalog:DispatchOutbox=false): events the catalog stores wait in outbox_messages for an instance that dispatches")]
    static partial void DispatchOff(ILogger logger);

    [LoggerMessage(4202, LogLevel.Error, "Could not dispatch the outbox; trying again at the next poll")]
    static partial void DispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(4203, LogLevel.Information, "Published outbox message {OutboxId} ({MessageType})")]
    static partial void Dispatched(ILogger logger, long outboxId, string messageType);

    [LoggerMessage(4204, LogLevel.Error, "Outbox message {OutboxId} can't be published and stays unsent: {Problem}")]
    static partial void Unpublishable(ILogger logger, long outboxId, string problem);
}
