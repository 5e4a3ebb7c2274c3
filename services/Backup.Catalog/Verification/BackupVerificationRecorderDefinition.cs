using Backup.Database.Outages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.Catalog.Verification;

/// <summary>
/// The recorder's endpoint ("backup-verification"): the catalog database unavailable holds the message for
/// CatalogOutage:RideOut (<see cref="CatalogOutageRetry"/>), another database fault retries it (1, 5, 15, 30 s); then
/// it goes to the endpoint's _error queue rather than being lost. Each event is one idempotent upsert, so order and repeats don't matter.
/// </summary>
public sealed class BackupVerificationRecorderDefinition : ConsumerDefinition<BackupVerificationRecorder>
{
    public BackupVerificationRecorderDefinition() => EndpointName = "backup-verification";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<BackupVerificationRecorder> consumer, IRegistrationContext context)
    {
        endpoint.UseCatalogOutageRetry(context);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<DbUpdateException>();
            retry.Handle<NpgsqlException>();
            retry.LeaveOutagesOut();
            retry.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        });
    }
}
