using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Dumper.Options;

public sealed class DumperOptions : IConfigurationSection<DumperOptions>, ISelfValidatingOptions
{
    public static string Section => "Dumper";

    /// <summary>Folder holding pg_dump, for example /usr/lib/postgresql/15/bin. Empty: pg_dump from PATH.</summary>
    public string PgBinDirectory { get; set; } = "";

    /// <summary>A dump still running after this long is stopped and the run fails.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "2.00:00:00")]
    public TimeSpan DumpTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>zstd level of the artifact: 1 (fastest) to 19; 3 is zstd's own default.</summary>
    [Range(1, 19)] public int CompressionLevel { get; set; } = 3;

    /// <summary>
    /// zstd worker threads compressing beside the copy; 0 compresses on the copying thread. 1 is as fast as 2 on a
    /// 2-core machine and peaks lower (deploy/bench/README.md); more help only where pg_dump leaves cores idle.
    /// </summary>
    [Range(0, 16)] public int CompressionThreads { get; set; } = 1;

    /// <summary>
    /// Waits before trying again after a transient failure (the source refused or dropped the connection); when they
    /// are spent the run fails. Permanent failures (credentials, unknown source, versions, disk) fail at once.
    /// </summary>
    /// <remarks>Empty means the defaults, 5 s, 30 s and 2 min (a default in a bound array would be appended to, not replaced).</remarks>
    public TimeSpan[] RetryDelays { get; set; } = [];

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays =>
        RetryDelays.Length > 0 ? RetryDelays : [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)];

    /// <summary>How many dumps this instance runs at once.</summary>
    [Range(1, 16)] public int ConcurrentDumps { get; set; } = 2;

    /// <summary>
    /// Where each dump's private folder (0700, locked while the dump runs) with its PGPASSFILE goes. Empty: the
    /// system's temp folder (TMPDIR, else /tmp).
    /// </summary>
    public string TempDirectory { get; set; } = "";

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (TempDirectory.Length > 0 && !Directory.Exists(TempDirectory))
            yield return (nameof(TempDirectory), $"'{TempDirectory}' does not exist; give an existing folder, or leave it empty for the system's temp folder.");
    }
}
