namespace Backup.Contracts;

/// <summary>
/// The wire values of <see cref="RestoreFailed.ErrorCode"/>, documented in asyncapi.yaml. The restorer's own
/// classification (Backup.Recovery's RecoveryErrorCode, shared with backupctl) uses the same names.
/// </summary>
public static class RestoreErrorCodes
{
    /// <summary>The artifact is not in the store (or retention is deleting it).</summary>
    public const string ArtifactNotFound = "ArtifactNotFound";

    /// <summary>The artifact has no manifest, or one that can't be read or describes another artifact.</summary>
    public const string ManifestMissing = "ManifestMissing";

    /// <summary>The stored bytes differ from the manifest (size, SHA-256), or don't decode to the archive it describes.</summary>
    public const string IntegrityCheckFailed = "IntegrityCheckFailed";

    /// <summary>The artifact is encrypted and the restorer's keys don't open it.</summary>
    public const string DecryptionFailed = "DecryptionFailed";

    /// <summary>The target database exists and overwriting it was not asked for (or is not allowed).</summary>
    public const string TargetExists = "TargetExists";

    /// <summary>Another restore into the same target database is running.</summary>
    public const string TargetBusy = "TargetBusy";

    /// <summary>The restore server could not be reached or refused the login.</summary>
    public const string ConnectionFailed = "ConnectionFailed";

    /// <summary>Creating the database or pg_restore failed (or could not be run).</summary>
    public const string RestoreFailed = "RestoreFailed";

    /// <summary>pg_restore finished, but the restored row counts differ from the manifest's.</summary>
    public const string RowCountMismatch = "RowCountMismatch";

    /// <summary>The restorer stopped or died before the restore finished; the target database may be partial.</summary>
    public const string Interrupted = "Interrupted";

    /// <summary>The request is wrong: a key the dumper did not make, a target name that is not a plain identifier.</summary>
    public const string InvalidRequest = "InvalidRequest";
}
