using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Dumper.Options;

public sealed class DumperOptions : IConfigurationSection<DumperOptions>
{
    public static string Section => "Dumper";

    /// <summary>Folder holding pg_dump, for example /usr/lib/postgresql/15/bin. Empty: pg_dump from PATH.</summary>
    public string PgBinDirectory { get; set; } = "";

    /// <summary>A dump still running after this long is stopped and the run fails.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "2.00:00:00")]
    public TimeSpan DumpTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How many dumps this instance runs at once.</summary>
    [Range(1, 16)] public int ConcurrentDumps { get; set; } = 2;
}
