namespace Backup.Database;

/// <summary>The values of <see cref="BackupRun.CurrentState"/>: the names of the state machine's states.</summary>
public static class BackupRunStates
{
    public const string Requested = nameof(Requested);
    public const string Running = nameof(Running);
    public const string Completed = nameof(Completed);
    public const string Failed = nameof(Failed);
    public const string TimedOut = nameof(TimedOut);
    public const string Delivered = nameof(Delivered);
    public const string Expired = nameof(Expired);

    /// <summary>States of a run whose artifact exists in the store.</summary>
    public static readonly string[] WithArtifact = [Completed, Delivered];

    /// <summary>
    /// States of a run whose dump is over for good: the dumper reported its artifact (Completed, Delivered; Expired when
    /// retention has deleted it since) or its failure (Failed). A BackupRequested of such a run is a replay, whatever the
    /// jobs table still remembers: the dumper acknowledges it without dumping. Not Requested or Running (the catalog
    /// opens the run on the request itself, possibly before the dumper sees it), and not TimedOut: that is the
    /// catalog's verdict, not the dumper's, and a dump that starts after it (the request waited in the queue while no
    /// dumper ran) still counts, as the run's late artifact.
    /// </summary>
    public static readonly string[] DumpOver = [Completed, Delivered, Expired, Failed];
}
