using Backup.Recovery;

namespace Backup.Ctl;

/// <summary>What backupctl's exit code means, so that a script can tell a damaged backup from a busy database.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command line is wrong: an unknown option, a key not made by the service, a bad database name, a missing file.</summary>
    public const int Usage = 1;

    /// <summary>An artifact is missing, incomplete or damaged, or can't be decrypted; nothing was restored.</summary>
    public const int ArtifactFailed = 2;

    /// <summary>The database side failed: the target exists, the server refused, pg_restore failed.</summary>
    public const int DatabaseFailed = 3;

    /// <summary>pg_restore finished, but the restored row counts differ from the manifest's.</summary>
    public const int RowCountsDiffer = 4;

    /// <summary>The exit code of a recovery that stopped with <paramref name="code"/>.</summary>
    public static int For(RecoveryErrorCode code) => code switch
    {
        RecoveryErrorCode.InvalidRequest => Usage,
        RecoveryErrorCode.ArtifactNotFound or RecoveryErrorCode.ManifestMissing
            or RecoveryErrorCode.IntegrityCheckFailed or RecoveryErrorCode.DecryptionFailed => ArtifactFailed,
        RecoveryErrorCode.TargetExists or RecoveryErrorCode.TargetBusy or RecoveryErrorCode.ConnectionFailed
            or RecoveryErrorCode.RestoreFailed or RecoveryErrorCode.Interrupted => DatabaseFailed,
        RecoveryErrorCode.RowCountMismatch => RowCountsDiffer,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    public const string Summary =
        "Exit codes: 0 all good; 1 wrong usage; 2 artifact missing, incomplete, damaged or undecryptable; " +
        "3 database or pg_restore failure (the target exists or another restore is filling it, the server refused, pg_restore failed, the restore was interrupted); 4 restored row counts differ from the manifest.";
}
