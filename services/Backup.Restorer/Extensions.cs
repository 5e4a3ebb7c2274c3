using Backup.Catalog.Data.Jobs;
using Backup.Recovery;
using Backup.Catalog.Data.Retention;
using Backup.Restorer.Consumers;
using Backup.Restorer.Options;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.Restorer;

public static class Extensions
{
    /// <summary>The restorer: the restore server, pg_restore, the artifact store (read only), the RestoreRequested consumer, the restore jobs' worker, the sweep of killed restores' temp folders.</summary>
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
        builder.AddBackupBus(bus => bus.AddConsumer<RestoreArtifactConsumer>(typeof(RestoreArtifactConsumerDefinition)));
        return builder;
    }
}
