namespace Backup.Database.Scheduling;

/// <summary>
/// When a source is backed up, as the scheduler reads it at run time: seeded from configuration (Sources:&lt;name&gt;:
/// Schedule and TimeZone), changeable without a restart (the API changes rows; the scheduler picks changes up).
/// </summary>
public sealed class Schedule
{
    /// <summary>The source's name, as configured in the dumper.</summary>
    public required string Source { get; set; }

    /// <summary>Five-field cron expression (Cronos), read in <see cref="TimeZone"/>.</summary>
    public required string Cron { get; set; }

    /// <summary>IANA time zone, e.g. "Europe/Berlin".</summary>
    public required string TimeZone { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Where the row's values came from: "configuration" (seeded at start, updated when configuration changes) or "api".</summary>
    public string Origin { get; set; } = ScheduleOrigins.Configuration;

    public DateTimeOffset UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public static class ScheduleOrigins
{
    public const string Configuration = "configuration";
    public const string Api = "api";
}

/// <summary>
/// One occurrence of a source's schedule, claimed by the scheduler instance that inserted it first (the primary
/// key makes it once across replicas). <see cref="PublishedAt"/> stays null until the broker has the
/// BackupRequested: an occurrence claimed but not published (the process died in between) is published at start.
/// </summary>
public sealed class ScheduleOccurrence
{
    public required string Source { get; set; }

    /// <summary>The occurrence, in UTC.</summary>
    public DateTimeOffset Occurrence { get; set; }

    /// <summary>Derived from source and occurrence, so a repeated publish is the same run.</summary>
    public Guid RunId { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }
    public string? ClaimedBy { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>True when it fired late, at start, for an occurrence missed while no scheduler ran.</summary>
    public bool CaughtUp { get; set; }
}
