using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Retention.Options;

public sealed class RetentionOptions : IConfigurationSection<RetentionOptions>
{
    public static string Section => "Retention";

    /// <summary>Artifacts of runs completed longer ago than this are deleted (the newest good one of each source never is).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the sweep runs on its own; it also runs after every completed backup.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromDays(1);
}
