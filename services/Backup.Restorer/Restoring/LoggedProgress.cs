using Backup.Recovery;
using Backup.Storage;

namespace Backup.Restorer.Restoring;

/// <summary>A restore's steps as log events (5005…5008, 5011, 5012) of the restore's id.</summary>
public sealed class LoggedProgress(ILogger logger, Guid restoreId) : RestoreProgress
{
    public override async Task CheckStoredBytesAsync(ArtifactKey key, ArtifactManifest manifest, Func<IProgress<long>?, Task> check)
    {
        await check(null);
        Log.StoredBytesVerified(logger, restoreId, manifest.StoredSizeBytes);
    }

    public override void ArchiveDecoded(long archiveBytes) => Log.ArchiveDecoded(logger, restoreId, archiveBytes);

    public override void DatabaseCreated(string targetDatabase, bool recreated) =>
        Log.DatabaseCreated(logger, restoreId, recreated ? "dropped and recreated" : "created", targetDatabase);

    public override void LoadingStarted(int sessions) => Log.LoadingStarted(logger, restoreId, sessions);

    public override void PgRestoreStarting(int jobs, string pgRestore) => Log.PgRestoreStarted(logger, restoreId, jobs);

    public override void FailedAfterDatabaseCreated(string targetDatabase, string outcome) =>
        Log.FailedAfterDatabaseCreated(logger, restoreId, targetDatabase, outcome);
}
