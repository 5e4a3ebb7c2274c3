using System.ComponentModel.DataAnnotations;
using Backup.Retention.Policy;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;

namespace Backup.Database.Retention;

/// <summary>
/// What retention keeps (section "Retention"): defaults for every source, and per-source overrides under
/// Retention:Sources:&lt;source&gt; (a setting left out there takes the default). Read by the retention service, which
/// deletes, and the API's dry run, which only shows; both decide with <see cref="RetentionCalculator"/>.
/// </summary>
public sealed class RetentionPolicyOptions : IConfigurationSection<RetentionPolicyOptions>, ISelfValidatingOptions
{
    public static string Section => "Retention";

    /// <summary>Artifacts of runs completed longer ago than this are deleted, unless another rule keeps them.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The floor: the newest this many good backups of a source are never deleted, whatever their age.</summary>
    [Range(1, 1000)]
    public int KeepLast { get; set; } = 3;

    /// <summary>Keep the newest good backup of each of the newest this many days that have one (0: off).</summary>
    [Range(0, 3650)]
    public int KeepDaily { get; set; }

    /// <summary>Keep the newest good backup of each of the newest this many ISO weeks that have one (0: off).</summary>
    [Range(0, 520)]
    public int KeepWeekly { get; set; }

    /// <summary>Keep the newest good backup of each of the newest this many months that have one (0: off).</summary>
    [Range(0, 1200)]
    public int KeepMonthly { get; set; }

    /// <summary>The IANA time zone whose days, weeks and months the calendar rules count ("UTC" unless set).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Per-source overrides, e.g. Retention:Sources:demo:KeepMonthly = 12.</summary>
    public Dictionary<string, RetentionSourceOverride> Sources { get; set; } = [];

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>The rules of <paramref name="source"/>: its overrides over the defaults.</summary>
    public RetentionRules RulesFor(string source)
    {
        var own = Sources.GetValueOrDefault(source);
        return new RetentionRules(own?.MaxAge ?? MaxAge, own?.KeepLast ?? KeepLast, own?.KeepDaily ?? KeepDaily,
            own?.KeepWeekly ?? KeepWeekly, own?.KeepMonthly ?? KeepMonthly);
    }

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            yield return (nameof(TimeZone), $"'{TimeZone}' is not a time zone this machine knows; give an IANA id such as UTC or Europe/Berlin.");
        foreach (var source in Sources.Keys.Where(source => !SourceNames.IsValid(source)))
            yield return ($"{nameof(Sources)}:{source}", $"not a source name ({SourceNames.Rule}).");
    }
}

/// <summary>One source's retention settings; null ones take the section's defaults.</summary>
public sealed class RetentionSourceOverride
{
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan? MaxAge { get; set; }

    [Range(1, 1000)]
    public int? KeepLast { get; set; }

    [Range(0, 3650)]
    public int? KeepDaily { get; set; }

    [Range(0, 520)]
    public int? KeepWeekly { get; set; }

    [Range(0, 1200)]
    public int? KeepMonthly { get; set; }
}
