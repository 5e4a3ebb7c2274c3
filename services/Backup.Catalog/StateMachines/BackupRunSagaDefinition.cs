using Backup.Database;
using Backup.Catalog.Timeouts;
using Backup.Contracts;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// The saga's endpoint. Within one instance, events of the same run are handled one at a time (partitioned by run
/// id), events of different runs in parallel. Across instances, events of one run wait for each other on the row's
/// lock (first events too: the repository inserts with ON CONFLICT DO NOTHING, then locks). A database blip or a
/// row-version conflict retries the message with a fresh transaction; after the bounded retries it goes to the
/// endpoint's _error queue rather than being lost. The saga publishes nothing, so the endpoint has no in-memory
/// outbox: an event it must publish goes to outbox_messages, as a time-out's BackupFailed does, so a crash after the
/// commit cannot lose it. The saga's <see cref="RunTimedOut"/> is not bound to the broker: only the catalog's own
/// sweeper raises it, in process.
/// </summary>
public sealed class BackupRunSagaDefinition : SagaDefinition<BackupRun>
{
    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpoint, ISagaConfigurator<BackupRun> saga,
        IRegistrationContext context)
    {
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<DbUpdateException>();
            retry.Handle<NpgsqlException>();
            retry.Incremental(8, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));
        });
        endpoint.ConfigureMessageTopology<RunTimedOut>(false);

        var partition = endpoint.CreatePartitioner(32);
        saga.Message<BackupRequested>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupStarted>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupCompleted>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupFailed>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupDelivered>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupDeliveryFailed>(m => m.UsePartitioner(partition, c => c.Message.RunId));
        saga.Message<BackupExpired>(m => m.UsePartitioner(partition, c => c.Message.RunId));
    }
}
