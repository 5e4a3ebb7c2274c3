namespace Backup.Contracts;

/// <summary>
/// The wire values of <see cref="BackupFailed.ErrorCode"/>, documented in asyncapi.yaml. The dumper publishes all
/// but <see cref="TimedOut"/> as its own verdict on a dump; the catalog publishes <see cref="TimedOut"/> for a run it
/// gave up on (the dumper uses it too when pg_dump itself ran past Dumper:DumpTimeout).
/// </summary>
public static class BackupErrorCodes
{
    /// <summary>The request names a source the dumper has no configuration for.</summary>
    public const string UnknownSource = "UnknownSource";

    /// <summary>The source database refused the configured credentials, or (SslMode VerifyCA/VerifyFull) its TLS certificate was not accepted.</summary>
    public const string AuthenticationFailed = "AuthenticationFailed";

    /// <summary>The source database could not be reached (retried before it is reported).</summary>
    public const string ConnectionFailed = "ConnectionFailed";

    /// <summary>pg_dump is older than the source server and cannot dump it.</summary>
    public const string VersionMismatch = "VersionMismatch";

    /// <summary>The source's table selection leaves out tables its selected tables reference, and the source is strict.</summary>
    public const string IncompleteSelection = "IncompleteSelection";

    /// <summary>pg_dump failed, or the dump could not be completed for another reason given in the reason.</summary>
    public const string DumpFailed = "DumpFailed";

    /// <summary>
    /// The run took too long: pg_dump ran past Dumper:DumpTimeout (from the dumper), or nothing was heard of the run
    /// within Catalog:RunTimeout while no dump of it heartbeated (from the catalog).
    /// </summary>
    public const string TimedOut = "TimedOut";

    /// <summary>The artifact store refused the artifact or its manifest (space, permissions, bucket or keys).</summary>
    public const string StorageFailed = "StorageFailed";

    /// <summary>The artifact could not be encrypted to the configured recipients or passphrase.</summary>
    public const string EncryptionFailed = "EncryptionFailed";
}
