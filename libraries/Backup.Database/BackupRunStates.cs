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
}
