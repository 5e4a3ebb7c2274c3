using Backup.Database;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Migrator;

public static class Extensions
{
    /// <summary>The migrator: the catalog database to migrate, the service roles to grant, and a bus that only declares every service's broker topology.</summary>
    public static IHostApplicationBuilder AddMigrator(this IHostApplicationBuilder builder)
    {
        builder.AddCatalogDatabase();
        builder.AddValidatedOptions<MigratorOptions>();
        var queues = new EndpointQueues();
        builder.Services.AddSingleton(queues);
        builder.AddBackupTopology(bus => BrokerTopology.AddEveryServiceConsumer(bus, queues));
        // The consumers are registered only for their topology and never run here, so their own dependencies are
        // not: the container must not insist on building them (Development validates every registration on build).
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = false }));
        return builder;
    }

    /// <summary>The migrator's step: the catalog's migrations, the service roles' grants, then the broker's topology; throws (exit non-zero) when any cannot be done.</summary>
    public static async Task RunMigratorAsync(this IHost host)
    {
        await host.MigrateCatalogAsync();
        await host.GrantServiceRolesAsync();
        await host.DeclareBrokerTopologyAsync();
    }
}
