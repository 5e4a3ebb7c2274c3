using Backup.Database;
using Backup.Database.Sagas;
using Backup.Catalog.DataChecks;
using Backup.Catalog.Options;
using Backup.Catalog.Outbox;
using Backup.Catalog.StateMachines;
using Backup.Catalog.Timeouts;
using Backup.Catalog.Verification;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backup.Catalog;

public static class Extensions
{
    /// <summary>
    /// The catalog service: the backup-run saga on the catalog database, the sweeper that finds the runs nobody
    /// reports on and has the saga time them out, the dispatcher of the outbox those time-outs are announced through, and the purger that deletes
    /// its old sent rows; and the recorder of each backup's verification by restore drills. Each completed backup's row
    /// counts are compared with its source's recent ones (Catalog:DataChecks).
    /// </summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.AddCatalogDatabase();
        builder.AddValidatedOptions<CatalogOptions>();
        builder.AddValidatedOptions<DataChecksOptions>(refuseUnknownKeys: true);
        builder.AddBackupBus(AddCatalogConsumers);
        // The same saga in process, for the sweeper's RunTimedOut: handled in the sweeper's scope and transaction.
        builder.Services.AddMediator(mediator =>
            mediator.AddSagaStateMachine<BackupRunStateMachine, BackupRun>()
                .EntityFrameworkRepository<BackupRun, CatalogDbContext>());
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<RunTimeoutSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RunTimeoutSweeper>());
        builder.Services.AddSingleton<OutboxDispatcher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxDispatcher>());
        builder.Services.AddSingleton<OutboxPurger>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OutboxPurger>());
        return builder;
    }

    /// <summary>The catalog's saga and consumer with their definitions (their queues); the migrator declares their topology from here too.</summary>
    public static void AddCatalogConsumers(this IBusRegistrationConfigurator bus)
    {
        // What the saga is built with beyond options and the clock: its row-count check and the catalog's instruments.
        bus.TryAddSingleton<CatalogMetrics>();
        bus.TryAddSingleton<BackupDataCheck>();
        bus.AddSagaStateMachine<BackupRunStateMachine, BackupRun>(typeof(BackupRunSagaDefinition))
            .EntityFrameworkRepository<BackupRun, CatalogDbContext>();
        bus.AddConsumer<BackupVerificationRecorder>(typeof(BackupVerificationRecorderDefinition));
    }
}
