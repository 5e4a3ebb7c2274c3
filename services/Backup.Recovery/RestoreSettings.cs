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
}
