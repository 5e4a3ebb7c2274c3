using Backup.Database;
using Backup.Database.Outages;
using Backup.Catalog.Timeouts;
using Backup.Contracts;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// The saga's endpoint. Within one instance, events of the same run are handled one at a time (partitioned by run
/// id), events of different runs in parallel. Across instances, events of one run wait for each other on the row's
/// lock (first events too: the repository inserts with ON CONFLICT DO NOTHING, then locks). The catalog database
/// unavailable holds the message for CatalogOutage:RideOut (<see cref="CatalogOutageRetry"/>); a row-version conflict
/// or another database fault retries it quickly with a fresh transaction; after those retries it goes to the
/// endpoint's _error queue rather than being lost. The saga publishes nothing, so the endpoint has no in-memory
/// outbox: an event it must publish goes to outbox_messages, as a time-out's BackupFailed does, so a crash after the
/// commit cannot lose it. The saga's <see cref="RunTimedOut"/> is not bound to the broker: only the catalog's own
/// sweeper raises it, in process. An event with an all-zero run id, or of another source than its run's, is refused
/// (see <see cref="Guard{T}"/>).
/// </summary>
public sealed class BackupRunSagaDefinition : SagaDefinition<BackupRun>
{
    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpoint, ISagaConfigurator<BackupRun> saga,
        IRegistrationContext context)
    {
        endpoint.UseCatalogOutageRetry(context);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<DbUpdateException>();
            retry.Handle<NpgsqlException>();
            retry.LeaveOutagesOut();
            retry.Incremental(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));
        });
        endpoint.ConfigureMessageTopology<RunTimedOut>(false);

        var partition = endpoint.CreatePartitioner(32);
        Guard<BackupRequested>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupStarted>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupCompleted>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupFailed>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupDelivered>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupDeliveryFailed>(saga, partition, m => m.RunId, m => m.Source);
        Guard<BackupExpired>(saga, partition, m => m.RunId, m => m.Source);
    }

    /// <summary>
    /// Before the repository: an all-zero run id is refused (no row is made for it), then events of one run are
    /// partitioned. After the repository has the run locked: an event whose source is not the run's is refused, so
    /// no event of one source ever changes another source's run. A refused event is not retried: it goes to the
    /// _error queue with its reason, nothing of it applied.
    /// </summary>
    static void Guard<T>(ISagaConfigurator<BackupRun> saga, IPartitioner partition, Func<T, Guid> runId, Func<T, string> source)
        where T : class
    {
        saga.Message<T>(m =>
        {
            m.UseExecute(c => RefusedMessageException.ThrowIfNoRunId(runId(c.Message), typeof(T).Name));
            m.UsePartitioner(partition, c => runId(c.Message));
        });
        saga.SagaMessage<T>(m => m.UseExecute(c => ThrowIfOtherSource(c.Saga, Text.Clip(source(c.Message), 63), typeof(T).Name)));
    }

    static void ThrowIfOtherSource(BackupRun run, string? source, string messageType)
    {
        if (run.Source.Length > 0 && run.Source != source)
            throw new RefusedMessageException($"{messageType} of source '{source}' refused: run {run.CorrelationId} is a run of " +
                $"source '{run.Source}', and an event of one source never changes another source's run.");
    }
}
