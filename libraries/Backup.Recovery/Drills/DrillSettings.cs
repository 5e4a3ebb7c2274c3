namespace Backup.Recovery.Drills;

/// <summary>
/// What a restore drill runs with: the restore settings (store, drill server, pg_restore, the drill's own keys), the
/// source's checks, and the guard against drilling on the source's own server.
/// </summary>
public sealed record DrillSettings
{
    /// <summary>The store, the drill server (as <see cref="RestoreSettings.Server"/>), pg_restore, the keys, jobs.</summary>
    public required RestoreSettings Restore { get; init; }

    /// <summary>The source's own checks, in order: a name and a query that must return true on the restored data.</summary>
    public IReadOnlyList<DrillCheckQuery> Checks { get; init; } = [];

    /// <summary>Each check's statement timeout.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Drill even on a server that holds a database named like the source's (it may be the source's own server). Off by
    /// default: a drill loads a whole copy of the data and belongs on a disaster-recovery server.
    /// </summary>
    public bool AllowSourceServer { get; init; }

    /// <summary>How to name the setting that allows it, in the refusal, e.g. "Drills:AllowSourceServer".</summary>
    public string AllowSourceServerSetting { get; init; } = "Drills:AllowSourceServer";
}

/// <summary>One of a source's checks: its name and a read-only query whose one row and column must be true.</summary>
public sealed record DrillCheckQuery(string Name, string Sql);
