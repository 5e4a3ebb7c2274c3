using Backup.Scheduler.Options;
using Backup.Scheduler.Scheduling;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Scheduler;

public static class Extensions
{
    /// <summary>The scheduler: one cron schedule per source, publishing BackupRequested.</summary>
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<SourceSchedulesOptions>();
        builder.Services.AddHostedService<ScheduleWorker>();
        builder.AddBackupBus(_ => { });
        return builder;
    }
}
