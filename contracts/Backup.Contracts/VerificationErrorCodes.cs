namespace Backup.Contracts;

/// <summary>The wire values of <see cref="BackupVerificationFailed.ErrorCode"/>, documented in asyncapi.yaml.</summary>
public static class VerificationErrorCodes
{
    /// <summary>The artifact or its manifest is not in the store.</summary>
    public const string ArtifactNotFound = "ArtifactNotFound";

    /// <summary>Size, SHA-256 or content differ from the manifest: the artifact is damaged.</summary>
    public const string IntegrityCheckFailed = "IntegrityCheckFailed";

    /// <summary>The drill's key could not open the encrypted artifact.</summary>
    public const string DecryptionFailed = "DecryptionFailed";

    /// <summary>The drill server could not be reached or refused the drill's login.</summary>
    public const string ConnectionFailed = "ConnectionFailed";

    /// <summary>pg_restore or the data load failed on the drill server (e.g. an extension or role it lacks).</summary>
    public const string RestoreFailed = "RestoreFailed";

    /// <summary>A table's restored rows differ from the rows counted in the dump's snapshot.</summary>
    public const string RowCountMismatch = "RowCountMismatch";

    /// <summary>An index, constraint, view, sequence or function of the archive is missing after the restore.</summary>
    public const string ObjectMissing = "ObjectMissing";

    /// <summary>A sequence is not at the value the dump recorded.</summary>
    public const string SequenceMismatch = "SequenceMismatch";

    /// <summary>One of the source's own checks returned false or failed.</summary>
    public const string CheckFailed = "CheckFailed";

    /// <summary>The drill's worker died repeatedly before it finished.</summary>
    public const string Interrupted = "Interrupted";
}
