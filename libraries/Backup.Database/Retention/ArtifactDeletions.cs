using Backup.Database.Jobs;
using Backup.Database.Outbox;
using Backup.Contracts;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Backup.ServiceDefaults;

namespace Backup.Database.Retention;

/// <summary>What <see cref="ArtifactDeletions.MarkAsync"/> did.</summary>
public enum MarkOutcome
{
    /// <summary>The run is now pending deletion.</summary>
    Marked,

    /// <summary>It was already (by an earlier sweep, another instance or the API); nothing changed.</summary>
    AlreadyMarked,

    /// <summary>A restore job (queued or running) names the artifact: not marked, tried again by a later sweep.</summary>
    RestoreInProgress,
}

/// <summary>What <see cref="ArtifactDeletions.CompleteAsync"/> did.</summary>
public enum CompleteOutcome
{
    /// <summary>The store deleted it (or it was gone already); the deletion is recorded and BackupExpired is in the outbox.</summary>
    Deleted,

    /// <summary>Nothing to do here: not pending, or another process is deleting it right now.</summary>
    NotMine,

    /// <summary>The store refused; the failure is recorded and the run stays pending deletion for the next sweep.</summary>
    StoreFailed,
}

/// <summary>
/// The one path by which an artifact of a cataloged run is deleted, for the retention sweep and the API alike.
/// <list type="number">
/// <item><see cref="MarkAsync"/>: under a transaction-scoped advisory lock on the artifact key, refuse if a restore
/// job (queued or running) names the artifact, else write the artifact_deletions row (the run is pending deletion).</item>
/// <item><see cref="CompleteAsync"/>: lock the pending row (FOR UPDATE SKIP LOCKED: one process deletes an artifact,
/// the others skip it), delete from the store, and in the same transaction record the deletion and put BackupExpired
/// in the catalog's outbox (its dispatcher publishes it; the saga moves the run to Expired). A store failure is
/// recorded on the row and left for the next sweep; a crash between the delete and the commit leaves the row pending,
/// and the next attempt's delete of an artifact already gone succeeds.</item>
/// </list>
/// The restorer calls <see cref="PendingReasonAsync"/> under the same advisory lock before it reads an artifact, so a
/// restore and a deletion can't both start: whichever takes the lock second sees the other's committed row.
/// </summary>
public static class ArtifactDeletions
{
    const string ReadingKinds = "kind IN ({0}, {1})";

    public static async Task<MarkOutcome> MarkAsync(CatalogDbContext catalog, ArtifactDeletion deletion, CancellationToken cancellationToken)
    {
        await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
        await catalog.Database.ExecuteSqlAsync(
            $"SELECT pg_advisory_xact_lock(hashtextextended('artifact:' || {deletion.ArtifactKey}, 0))", cancellationToken);
        if (await catalog.ArtifactDeletions.AnyAsync(d => d.RunId == deletion.RunId, cancellationToken))
            return MarkOutcome.AlreadyMarked;
        if (await RestoreReadingAsync(catalog, deletion.ArtifactKey, cancellationToken))
            return MarkOutcome.RestoreInProgress;
        catalog.ArtifactDeletions.Add(deletion);
        await catalog.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return MarkOutcome.Marked;
    }

    /// <summary>True when a restore or drill job that hasn't finished names the artifact.</summary>
    public static Task<bool> RestoreReadingAsync(CatalogDbContext catalog, string artifactKey, CancellationToken cancellationToken) =>
        catalog.Database.SqlQueryRaw<bool>(
            $"SELECT EXISTS (SELECT 1 FROM jobs WHERE {ReadingKinds} AND state <> 'finished' AND {JobKinds.ArtifactKeySql} = {{2}}) AS \"Value\"",
            JobKinds.Restore, JobKinds.Drill, artifactKey).SingleAsync(cancellationToken);

    /// <summary>The artifact keys unfinished restore and drill jobs name.</summary>
    public static async Task<HashSet<string>> KeysBeingRestoredAsync(CatalogDbContext catalog, CancellationToken cancellationToken) =>
        (await catalog.Database.SqlQueryRaw<string>(
            $"SELECT {JobKinds.ArtifactKeySql} AS \"Value\" FROM jobs WHERE {ReadingKinds} AND state <> 'finished' AND {JobKinds.ArtifactKeySql} IS NOT NULL",
            JobKinds.Restore, JobKinds.Drill).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);

    public static async Task<(CompleteOutcome Outcome, Exception? Failure)> CompleteAsync(CatalogDbContext catalog, Guid runId,
        Func<string, CancellationToken, Task> deleteFromStore, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
        var deletion = await catalog.ArtifactDeletions
            .FromSql($"SELECT * FROM artifact_deletions WHERE run_id = {runId} AND deleted_at IS NULL FOR UPDATE SKIP LOCKED")
            .SingleOrDefaultAsync(cancellationToken);
        if (deletion is null) return (CompleteOutcome.NotMine, null);

        deletion.Attempts++;
        deletion.LastAttemptAt = clock.GetUtcNow();
        try
        {
            await deleteFromStore(deletion.ArtifactKey, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            deletion.LastError = Text.Clip($"{e.GetType().Name}: {e.Message}", 2000);
            await catalog.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (CompleteOutcome.StoreFailed, e);
        }

        var now = clock.GetUtcNow();
        deletion.DeletedAt = now;
        deletion.LastError = null;
        catalog.OutboxMessages.Add(OutboxMessages.For(new BackupExpired
        {
            RunId = deletion.RunId,
            Source = deletion.Source,
            ExpiredAt = now,
            ArtifactKey = deletion.ArtifactKey,
            Reason = deletion.Reason,
            ReasonCode = deletion.ReasonCode,
        }, now));
        await catalog.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (CompleteOutcome.Deleted, null);
    }

    /// <summary>
    /// For the restorer, before it reads <paramref name="artifactKey"/>: under the artifact's advisory lock, why it
    /// is being (or was) deleted, or null when it is not, in which case no deletion can be decided while the
    /// restore job stays unfinished.
    /// </summary>
    public static async Task<string?> PendingReasonAsync(string connectionString, string artifactKey, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(hashtextextended('artifact:' || @key, 0));
            SELECT reason FROM artifact_deletions WHERE artifact_key = @key LIMIT 1;
            """, connection, transaction);
        command.Parameters.AddWithValue("key", artifactKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var reason = await reader.ReadAsync(cancellationToken) ? reader.GetString(0) : null;
        await reader.DisposeAsync();
        await transaction.CommitAsync(cancellationToken);
        return reason;
    }
}
