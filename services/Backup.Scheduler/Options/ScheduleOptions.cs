using System.ComponentModel.DataAnnotations;
using Backup.Database.Scheduling;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Cronos;

namespace Backup.Scheduler.Options;

/// <summary>
/// The schedule of every source as configured, read from the same "Sources" section the dumper reads its connections
/// from. The scheduler seeds the catalog's <c>schedules</c> table from it at start and runs what the table says.
/// </summary>
public sealed class SourceSchedulesOptions : Dictionary<string, SourceScheduleOptions>,
    IConfigurationSection<SourceSchedulesOptions>, ISelfValidatingOptions
{
    public static string Section => "Sources";

    public IEnumerable<(string Key, string Problem)> Validate() =>
        Keys.Where(name => !SourceNames.IsValid(name))
            .Select(name => (name, $"'{name}' is not a valid source name: use {SourceNames.Rule}."));
}

/// <summary>When a source is backed up: a five-field cron expression read in an IANA time zone.</summary>
public sealed class SourceScheduleOptions : ISelfValidatingOptions
{
    /// <summary>Default: every day at 02:00 in <see cref="TimeZone"/>.</summary>
    public string Schedule { get; set; } = ScheduleRules.DefaultCron;

    /// <summary>IANA name, for example "Europe/Berlin". Default: UTC.</summary>
    public string TimeZone { get; set; } = ScheduleRules.DefaultTimeZone;

    public CronExpression Cron => CronExpression.Parse(Schedule, CronFormat.Standard);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public IEnumerable<(string Key, string Problem)> Validate() =>
        ScheduleRules.Problems(Schedule, TimeZone)
            .Select(problem => (problem.Field == "Cron" ? nameof(Schedule) : nameof(TimeZone), problem.Problem));
}

/// <summary>How the scheduler runs the schedules: section "Scheduler".</summary>
public sealed class SchedulerOptions : IConfigurationSection<SchedulerOptions>
{
    public static string Section => "Scheduler";

    /// <summary>
    /// An occurrence missed while no scheduler ran fires once at start when it is at most this old (the latest one
    /// inside the window, however many were missed); older ones are not run late. Zero turns catch-up off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan CatchUpWindow { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How often the <c>schedules</c> table is read again, so a changed schedule takes effect without a restart.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An occurrence claimed but still not published after this long (its scheduler died between the two) is published
    /// by whichever scheduler looks first (at start and at every reload), with the same run id.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromMinutes(1);
}
