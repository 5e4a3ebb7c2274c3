using Backup.Database.Jobs;
using Backup.Recovery;
using Backup.Database.Retention;
using Backup.Restorer.Consumers;
using Backup.Restorer.Drills;
using Backup.Restorer.Options;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.Restorer;

public static class Extensions
{
    /// <summary>The restorer: the restore server, pg_restore, the artifact store (read only), the RestoreRequested consumer, the restore jobs' worker, the sweep of killed restores' temp folders; and the restore drills (their intake from BackupCompleted and their jobs' worker).</summary>
    public static IHostApplicationBuilder AddRestorer(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<RestoreOptions>();
        builder.AddArtifactStore();
        builder.Services.AddSingleton<RestorerSetup>();
        builder.AddTempFolderSweep(services => RestoreTempFolders.For(RestorerCaller.Instance,
            services.GetRequiredService<IOptions<RestoreOptions>>().Value.TempDirectory));
        builder.Services.AddSingleton<RestorerMetrics>();
        builder.Services.AddSingleton<IPendingDeletions, CatalogPendingDeletions>();
        builder.Services.AddHealthChecks().AddNpgSql(
            services => RestorerSetup.ConnectionString(services.GetRequiredService<IOptions<RestoreOptions>>().Value),
            name: "restore-server", tags: [BackupHostDefaults.ReadyTag], timeout: TimeSpan.FromSeconds(5));
        // A restore is not tried again (it would meet the database it left behind); one whose restorer died is reported Interrupted.
        builder.AddJobWorker<RestoreArtifactJob>(services => new JobWorkerSettings(RestoreArtifactJob.Kind,
            services.GetRequiredService<IOptions<RestoreOptions>>().Value.ConcurrentRestores, MaxAttempts: 1));
        // Restore drills: a BackupCompleted becomes a drill job; one drill at a time per drill server (the jobs' group).
        builder.AddValidatedOptions<DrillOptions>();
        builder.Services.AddSingleton<DrillSetup>();
        builder.Services.AddSingleton<DrillQueue>();
        builder.Services.AddSingleton<DrillMetrics>();
        builder.AddJobWorker<DrillJob>(_ => new JobWorkerSettings(DrillJob.Kind, Concurrency: 1, DrillJob.MaxAttempts));
        builder.AddBackupBus(AddRestorerConsumers);
        return builder;
    }

    /// <summary>The restorer's consumers with their definitions (their queues); the migrator declares their topology from here too.</summary>
    public static void AddRestorerConsumers(this MassTransit.IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RestoreArtifactConsumer>(typeof(RestoreArtifactConsumerDefinition));
        bus.AddConsumer<DrillIntakeConsumer>(typeof(DrillIntakeConsumerDefinition));
    }
}
