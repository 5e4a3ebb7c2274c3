using Backup.Catalog.Data;
using Backup.Catalog.Data.Sagas;
using Backup.Catalog.StateMachines;
using Backup.ServiceDefaults;

namespace Backup.Catalog;

public static class Extensions
{
    /// <summary>The catalog service: the backup-run saga on the catalog database.</summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.AddCatalogDatabase();
        builder.AddBackupBus(bus => bus
            .AddSagaStateMachine<BackupRunStateMachine, BackupRun>(typeof(BackupRunSagaDefinition))
            .EntityFrameworkRepository<BackupRun, CatalogDbContext>());
        return builder;
    }
}
