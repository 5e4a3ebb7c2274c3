using Backup.Database;
using Backup.Retention.Cleanup;
using Backup.Retention.Consumers;
using Backup.Retention.Options;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;

namespace Backup.Retention;

public static class Extensions
{
    /// <summary>Retention: deletes what the policy no longer keeps, orphans and leftovers, on a timer and after each completed backup.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<RetentionOptions>();
        builder.AddValidatedOptions<Backup.Database.Retention.RetentionPolicyOptions>();
        builder.AddCatalogDatabase();
        builder.AddArtifactStore();
        builder.Services.AddScoped<RetentionSweep>();
        builder.Services.AddScoped<OrphanCleanup>();
        builder.Services.AddSingleton<RetentionMetrics>();
        builder.Services.AddHostedService<RetentionWorker>();
        builder.AddBackupBus(AddRetentionConsumers);
        return builder;
    }

    /// <summary>The retention service's consumer with its definition (its queue "retention-sweep"); the migrator declares its topology from here too.</summary>
    public static void AddRetentionConsumers(this MassTransit.IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<SweepAfterBackupConsumer>(typeof(SweepAfterBackupConsumerDefinition));
}
