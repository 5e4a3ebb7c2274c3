using Backup.Contracts;
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

    /// <summary>A restore drill restored the artifact, but the restored database failed a proof: an object of the archive is missing, a sequence is off, or a --check is not true.</summary>
    public const int DrillFailed = 5;

    /// <summary>The exit code of a restore drill that failed with <paramref name="errorCode"/> (Backup.Contracts.VerificationErrorCodes).</summary>
    public static int ForDrill(string errorCode) => errorCode switch
    {
        VerificationErrorCodes.ArtifactNotFound or VerificationErrorCodes.IntegrityCheckFailed or VerificationErrorCodes.DecryptionFailed => ArtifactFailed,
        VerificationErrorCodes.RowCountMismatch => RowCountsDiffer,
        VerificationErrorCodes.ObjectMissing or VerificationErrorCodes.SequenceMismatch or VerificationErrorCodes.CheckFailed => DrillFailed,
        _ => DatabaseFailed,
    };

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
        "3 database or pg_restore failure (the target exists or another restore is filling it, the server refused, pg_restore failed, the restore was interrupted); 4 restored row counts differ from the manifest; 5 a restore drill (verify --restore) found an object, a sequence or a check wrong in the restored database.";
}
