using Backup.Archive;
using Backup.Recovery.Postgres;
using Backup.Storage;

namespace Backup.Recovery;

/// <summary>
/// What a restore tells its caller as it goes, step by step: backupctl prints it, the restorer logs it. Every step
/// is optional; this base class does nothing.
/// </summary>
public class RestoreProgress
{
    public static readonly RestoreProgress None = new();

    /// <summary>The artifact, target and server are settled; nothing has been read yet.</summary>
    public virtual void Starting(ArtifactKey key, string targetDatabase, TargetServer server)
    {
    }

    /// <summary>
    /// Runs the check of the stored bytes against <paramref name="manifest"/> (size, then SHA-256): call
    /// <paramref name="check"/> once, with a progress that receives the bytes hashed so far, or null. A restore copies
    /// the bytes into its private folder in the same pass; when the check returns, they matched the manifest.
    /// </summary>
    public virtual Task CheckStoredBytesAsync(ArtifactKey key, ArtifactManifest manifest, Func<IProgress<long>?, Task> check) => check(null);

    /// <summary>The archive's table of contents was read (and checked against the manifest); nothing is restored yet.</summary>
    public virtual void TableOfContentsRead(IReadOnlyList<TocEntry> entries)
    {
    }

    /// <summary>The archive was read to its end, as long as the manifest says, with data for every table of the manifest.</summary>
    public virtual void ArchiveDecoded(long archiveBytes)
    {
    }

    /// <summary>The target database was created empty (or, with <paramref name="recreated"/>, dropped and created).</summary>
    public virtual void DatabaseCreated(string targetDatabase, bool recreated)
    {
    }

    /// <summary>The schema is in; <paramref name="sessions"/> sessions start loading table data while the archive decodes.</summary>
    public virtual void LoadingStarted(int sessions)
    {
    }

    /// <summary>pg_restore is about to run into the new database.</summary>
    public virtual void PgRestoreStarting(int jobs, string pgRestore)
    {
    }

    /// <summary>
    /// The restore failed (or was cancelled) after the target database was created: <paramref name="outcome"/> says
    /// whether it was dropped or kept for inspection. The failure itself is reported as the restore's exception.
    /// </summary>
    public virtual void FailedAfterDatabaseCreated(string targetDatabase, string outcome)
    {
    }
}
