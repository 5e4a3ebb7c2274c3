using Backup.Database;
using Backup.Scheduler.Options;
using Backup.Scheduler.Scheduling;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Scheduler;

public static class Extensions
{
    /// <summary>
    /// The scheduler: schedules seeded from configuration into the catalog database, each occurrence published once
    /// as BackupRequested across all instances. Needs ConnectionStrings:Catalog.
    /// </summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<SourceSchedulesOptions>();
        builder.AddValidatedOptions<SchedulerOptions>();
        builder.AddCatalogDatabase();
        builder.Services.AddSingleton<IScheduleStore>(services => new CatalogScheduleStore(
            NpgsqlDataSource.Create(services.GetRequiredService<IOptions<CatalogDatabaseOptions>>().Value.Catalog)));
        builder.Services.AddHostedService<ScheduleWorker>();
        builder.AddBackupBus(_ => { });
        return builder;
    }
}
