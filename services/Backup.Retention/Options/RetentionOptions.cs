using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Retention.Options;

/// <summary>When the retention service sweeps (section "Retention"; what it keeps is <see cref="Backup.Database.Retention.RetentionPolicyOptions"/>).</summary>
public sealed class RetentionOptions : IConfigurationSection<RetentionOptions>
{
    public static string Section => "Retention";

    /// <summary>How often the sweep runs on its own; it also runs after every completed backup.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Artifacts with no run in the catalog (orphans) and what interrupted writes left are removed once older than
    /// this, so a dump whose BackupCompleted hasn't reached the catalog yet, or a write in progress, is never taken.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan OrphanMinAge { get; set; } = TimeSpan.FromDays(1);
}
