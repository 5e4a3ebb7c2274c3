using Backup.Catalog.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Catalog.StateMachines;

/// <summary>
/// The saga's endpoint: two first events of one run racing to insert its row, or a database blip, fail the
/// transaction; the message is retried a bounded number of times with a fresh transaction, then goes to the
/// endpoint's _error queue rather than being lost.
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
    }
}
