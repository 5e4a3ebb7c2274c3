namespace Backup.Contracts;

/// <summary>One of a source's own drill checks: a read-only query that must return true on the restored data.</summary>
public sealed record DrillCheck
{
    /// <summary>The check's name as configured (Drills:Sources:&lt;source&gt;:Checks:&lt;name&gt;).</summary>
    public required string Name { get; init; }

    public required bool Passed { get; init; }

    /// <summary>Why it failed (it returned false, no row, an error, the statement timeout); null when it passed.</summary>
    public string? Detail { get; init; }
}
