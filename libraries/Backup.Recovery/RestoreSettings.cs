using Backup.Recovery.Postgres;
using Backup.Storage;
using Backup.Storage.Encryption;

namespace Backup.Recovery;

/// <summary>Where and with what <see cref="ArtifactRestore"/> restores: the store, the server, pg_restore, the keys.</summary>
public sealed record RestoreSettings
{
    public required IArtifactStore Store { get; init; }

    /// <summary>Where the store is (<see cref="IArtifactStore.Location"/>), for messages.</summary>
    public required string StoreRoot { get; init; }

    public required TargetServer Server { get; init; }

    public required PgClientTools Tools { get; init; }

    public required RecoveryCaller Caller { get; init; }

    /// <summary>What opens encrypted artifacts; null: none can be restored.</summary>
    public DecryptionKeys? DecryptionKeys { get; init; }

    /// <summary>The parent of the private folder the decoded archive is written to; null or empty: the system's temp folder.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>pg_restore's parallel jobs.</summary>
    public int Jobs { get; init; } = 2;

    /// <summary>
    /// Marks every database it creates as made by a restore of <see cref="RecoveryCaller.Name"/> (a database comment),
    /// and overwrites only databases that carry that mark: a request can't drop a database it did not restore.
    /// </summary>
    public bool OverwriteOnlyRestoredDatabases { get; init; }

    /// <summary>
    /// Restore the archive's owners and privileges (ALTER … OWNER TO, GRANT, REVOKE): every role they name must exist on
    /// the target server. False (the default): the restoring role owns everything and no grant is restored
    /// (pg_restore --no-owner --no-privileges), so an archive restores onto a server that has none of the source's
    /// roles, as a disaster-recovery server has not.
    /// </summary>
    public bool KeepPrivileges { get; init; }

    /// <summary>
    /// Keep a database whose restore failed after it was created, for inspection. False (the default): it is dropped,
    /// so that no half-restored database is left behind. A restore that ran to its end with row counts that differ
    /// from the manifest's is not a failed one: its database stays either way.
    /// </summary>
    public bool KeepFailedDatabase { get; init; }
}
