namespace Backup.Storage.TempFolders;

/// <summary>Whose abandoned private folders a sweep removes, where, and after how long a folder without a lock counts as abandoned.</summary>
/// <param name="Owner">The owner's name, the folders' prefix ("backup-dumper", "backup-restorer", "backupctl").</param>
/// <param name="Parent">The folder they are made in; null or empty: the system's temp folder.</param>
/// <param name="LeftoverAge">
/// How long nothing in a folder without a lock file (made by a process that died in the instant between creating the
/// folder and its lock) must have changed before it is removed. The longest a run of the owner can plausibly take.
/// </param>
public sealed record TempFolderSweepSettings(string Owner, string? Parent, TimeSpan LeftoverAge);

/// <summary>What a sweep removed and what it kept. Names only: the folders' names say nothing of their contents.</summary>
public sealed record TempFolderSweepResult(
    string Parent,
    IReadOnlyList<string> RemovedFolders,
    int KeptInUse,
    int KeptRecent,
    IReadOnlyList<string> NotRemoved,
    bool LockingUnavailable);

/// <summary>
/// Removes the private folders (<see cref="PrivateTempFolder"/>) of one owner whose process died without deleting
/// them (kill -9, a crash, a power cut): a folder whose lock file this process can lock exclusively has no live
/// owner; a folder whose lock is held is never touched. A folder without a lock file is removed only once nothing in
/// it has changed for <see cref="TempFolderSweepSettings.LeftoverAge"/>. When this process can't take real locks
/// (DOTNET_SYSTEM_IO_DISABLEFILELOCKING, a file system without flock), nothing is removed.
/// </summary>
public static class TempFolderSweep
{
    public static TempFolderSweepResult Run(TempFolderSweepSettings settings, TimeProvider clock)
    {
        var parent = PrivateTempFolder.ParentFolder(settings.Parent);
        var cutoff = clock.GetUtcNow().UtcDateTime - settings.LeftoverAge;
        List<string> removed = [], notRemoved = [];
        var (inUse, recent, lockingUnavailable) = (0, 0, false);

        foreach (var folder in Candidates(parent, settings.Owner))
        {
            if (lockingUnavailable)
            {
                inUse++;
                continue;
            }
            var name = Path.GetFileName(folder);
            switch (Inspect(folder, cutoff))
            {
                case Verdict.InUse: inUse++; break;
                case Verdict.Recent: recent++; break;
                case Verdict.LockingUnavailable: lockingUnavailable = true; inUse++; break;
                case Verdict.Removed: removed.Add(name); break;
                case Verdict.NotRemoved: notRemoved.Add(name); break;
                case Verdict.Gone: break;
            }
        }

        return new TempFolderSweepResult(parent, removed, inUse, recent, notRemoved, lockingUnavailable);
    }

    /// <summary>Folders named exactly as <see cref="PrivateTempFolder.Create"/> names the owner's, not links.</summary>
    static IEnumerable<string> Candidates(string parent, string owner)
    {
        if (!Directory.Exists(parent)) return [];
        var prefix = owner + "-";
        return Directory.EnumerateDirectories(parent, prefix + "*")
            .Where(path => Path.GetFileName(path) is var name && name.Length == prefix.Length + 32
                && name.AsSpan(prefix.Length).ContainsAnyExcept("0123456789abcdef") is false
                && new DirectoryInfo(path).LinkTarget is null)
            .ToList();
    }

    enum Verdict { InUse, Recent, LockingUnavailable, Removed, NotRemoved, Gone }

    static Verdict Inspect(string folder, DateTime cutoff)
    {
        FileStream held;
        try
        {
            held = Lock(folder);
        }
        catch (FileNotFoundException)
        {
            try
            {
                return NewestChange(folder) >= cutoff ? Verdict.Recent : Delete(folder);
            }
            catch (DirectoryNotFoundException)
            {
                return Verdict.Gone;
            }
        }
        catch (DirectoryNotFoundException)
        {
            return Verdict.Gone; // its owner finished and deleted it meanwhile
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Verdict.InUse; // the lock is held (or can't be taken): a live process, or one to leave alone
        }

        using (held)
        {
            // A second exclusive lock from this same process must fail too; where it does not, locks are not in
            // effect here, and a lock taken says nothing about the owner.
            try
            {
                Lock(folder).Dispose();
                return Verdict.LockingUnavailable;
            }
            catch (IOException)
            {
            }
            return Delete(folder); // while still holding the lock
        }
    }

    static FileStream Lock(string folder) =>
        new(Path.Combine(folder, PrivateTempFolder.LockFileName), FileMode.Open, FileAccess.Read, FileShare.None);

    static Verdict Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return Verdict.Removed;
        }
        catch (DirectoryNotFoundException)
        {
            return Verdict.Gone;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Verdict.NotRemoved;
        }
    }

    static DateTime NewestChange(string folder)
    {
        var newest = Directory.GetLastWriteTimeUtc(folder);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            if (entry.LastWriteTimeUtc > newest) newest = entry.LastWriteTimeUtc;
        return newest;
    }
}
