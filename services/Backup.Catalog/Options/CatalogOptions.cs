using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Catalog.Options;

/// <summary>The catalog service's timers: section "Catalog".</summary>
public sealed class CatalogOptions : IConfigurationSection<CatalogOptions>, ISelfValidatingOptions
{
    public static string Section => "Catalog";

    /// <summary>
    /// A run still Requested or Running that has heard nothing for this long (from its request or its latest start)
    /// is given up as TimedOut, unless its dump is still heartbeating. Per source: <see cref="RunTimeouts"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Overrides of <see cref="RunTimeout"/> by source name, e.g. Catalog:RunTimeouts:warehouse = 06:00:00.</summary>
    public Dictionary<string, TimeSpan> RunTimeouts { get; set; } = [];

    /// <summary>A run whose dump job's heartbeat is younger than this is alive and is not timed out.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HeartbeatGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the sweeper looks for runs past their timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether this instance publishes the outbox's unsent events. False leaves them in outbox_messages (for a
    /// broker maintenance, or to keep one instance from publishing); any instance with it on publishes them later.
    /// </summary>
    public bool DispatchOutbox { get; set; } = true;

    /// <summary>How often the dispatcher looks for unsent outbox rows when nothing woke it earlier.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a sent outbox row is kept (for an operator tracing what was published) before the purger deletes it.
    /// Unsent rows are never deleted.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often sent outbox rows older than <see cref="OutboxRetention"/> are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan OutboxPurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The timeout of a run of <paramref name="source"/>.</summary>
    public TimeSpan RunTimeoutOf(string source) => RunTimeouts.TryGetValue(source, out var timeout) ? timeout : RunTimeout;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (source, timeout) in RunTimeouts)
        {
            if (!SourceNames.IsValid(source))
                yield return ($"{nameof(RunTimeouts)}:{source}", $"is not a source name ({SourceNames.Rule}).");
            if (timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromDays(7))
                yield return ($"{nameof(RunTimeouts)}:{source}", $"must be between 00:00:01 and 7.00:00:00; it is {timeout}.");
        }
    }
}
