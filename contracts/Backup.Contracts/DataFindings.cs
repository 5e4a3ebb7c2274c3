namespace Backup.Contracts;

/// <summary>The kinds of <see cref="DataFinding"/>, as the catalog compares a backup's row counts with its source's recent ones.</summary>
public static class DataFindings
{
    /// <summary>The table's rows fell by more than the configured share since the previous backup, but not to zero.</summary>
    public const string Dropped = "dropped";

    /// <summary>The table had rows in the previous backup and has none now.</summary>
    public const string Emptied = "emptied";

    /// <summary>A table present in every recent backup is not in this one.</summary>
    public const string Disappeared = "disappeared";
}
