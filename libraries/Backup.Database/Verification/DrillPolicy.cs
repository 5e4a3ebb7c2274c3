namespace Backup.Database.Verification;

/// <summary>
/// How a source's backups are drilled, as the drill service applies it: written only by the restorer's drill intake
/// (from its Drills settings, at start and as backups of a source arrive), read by retention (where drills are on,
/// only verified backups count for the floor), the notifier (the "no verified backup" alarm) and the API.
/// A source without a row is not drilled.
/// </summary>
public sealed class DrillPolicy
{
    public required string Source { get; set; }

    /// <summary>At most one drill per this interval; zero: every backup.</summary>
    public TimeSpan Every { get; set; }

    /// <summary>The recovery time objective a drill's measured recovery time is compared with.</summary>
    public TimeSpan RtoTarget { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
