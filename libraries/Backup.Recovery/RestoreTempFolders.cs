using Backup.Storage.TempFolders;

namespace Backup.Recovery;

/// <summary>
/// How the restorer and backupctl sweep their own private temp folders (<see cref="TempFolderSweep"/>): those of
/// killed restores of the same caller go; those of running restores (their lock held) stay.
/// </summary>
public static class RestoreTempFolders
{
    /// <summary>
    /// A folder without a lock file was made by a version before the locks (or by a process killed in the instant
    /// between creating the folder and its lock), and may belong to a restore of that version still running on this
    /// host during an upgrade: it goes only once nothing in it has changed for a day (restores have no time limit;
    /// pg_restore -j can read the decoded archive for hours without writing a file).
    /// </summary>
    public static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    public static TempFolderSweepSettings For(RecoveryCaller caller, string? parent) => new(caller.Name, parent, LeftoverAge);
}
