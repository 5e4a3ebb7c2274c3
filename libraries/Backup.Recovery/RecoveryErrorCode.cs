namespace Backup.Recovery;

/// <summary>
/// Why a recovery stopped: the values of RestoreFailed.ErrorCode (written with <see cref="Enum.ToString()"/>), and
/// what backupctl turns into its exit codes.
/// </summary>
public enum RecoveryErrorCode
{
    /// <summary>The artifact is not in the store.</summary>
    ArtifactNotFound,

    /// <summary>The artifact has no manifest, or one that can't be read or describes another artifact: it can't be checked.</summary>
    ManifestMissing,

    /// <summary>The stored bytes differ from the manifest (size, SHA-256), or what they decode to is not the archive it describes.</summary>
    IntegrityCheckFailed,

    /// <summary>The artifact is encrypted and no key was given, or the keys given don't open it.</summary>
    DecryptionFailed,

    /// <summary>The target database exists and overwriting it was not asked for (or is not allowed).</summary>
    TargetExists,

    /// <summary>The restore server could not be reached or refused the login.</summary>
    ConnectionFailed,

    /// <summary>The database side failed: creating the database, or pg_restore itself (or it could not be run).</summary>
    RestoreFailed,

    /// <summary>pg_restore finished, but the restored row counts differ from the manifest's.</summary>
    RowCountMismatch,

    /// <summary>Another restore into the same target database is running (the restorer restores into a database one at a time).</summary>
    TargetBusy,

    /// <summary>The restore was started but its restorer stopped or died before it finished; the target database may be partial.</summary>
    Interrupted,

    /// <summary>The request itself is wrong: a key the service did not make, a target name that is not a plain identifier, a setting that names nothing.</summary>
    InvalidRequest,
}
