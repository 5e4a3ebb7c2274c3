using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Cronos;

namespace Backup.Scheduler.Options;

/// <summary>The schedule of every source, read from the same "Sources" section the dumper reads its connections from.</summary>
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
    public string Schedule { get; set; } = "0 2 * * *";

    /// <summary>IANA name, for example "Europe/Berlin". Default: UTC.</summary>
    public string TimeZone { get; set; } = "Etc/UTC";

    public CronExpression Cron => CronExpression.Parse(Schedule, CronFormat.Standard);

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!CronExpression.TryParse(Schedule, CronFormat.Standard, out _))
            yield return (nameof(Schedule), $"'{Schedule}' is not a five-field cron expression (minute hour day-of-month month day-of-week), for example '0 2 * * *'.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            yield return (nameof(TimeZone), $"'{TimeZone}' is not a known IANA time zone, for example 'Europe/Berlin' or 'Etc/UTC'.");
    }
}
