namespace Backup.Recovery;

/// <summary>
/// Who runs a recovery: its name (PostgreSQL application_name, the temporary folder's prefix), and how its operator
/// gives each setting, so that a message names the setting to change: "--target-database" for backupctl,
/// "TargetDatabase" for a RestoreRequested.
/// </summary>
public sealed record RecoveryCaller
{
    /// <summary>The program's name, e.g. "backupctl".</summary>
    public required string Name { get; init; }

    /// <summary>Where the target database's name comes from, e.g. "--target-database".</summary>
    public required string TargetDatabase { get; init; }

    /// <summary>Where the PostgreSQL client's bin folder comes from, e.g. "--pg-bin".</summary>
    public required string PgBin { get; init; }

    /// <summary>Where the temporary folder comes from, e.g. "--temp-dir".</summary>
    public required string TempDirectory { get; init; }

    /// <summary>How to give the keys of an encrypted artifact, completing "KEY is encrypted: …".</summary>
    public required string GiveDecryptionKeys { get; init; }

    /// <summary>What to do when the target database exists, completing "Database X already exists on S; nothing was changed. …".</summary>
    public required string ChooseAnotherTarget { get; init; }

    /// <summary>What to do with a half-restored database kept for inspection, completing "… is kept for inspection (…): …".</summary>
    public required string AfterFailedRestore { get; init; }

    /// <summary>How to ask for the archive's owners and privileges to be kept (<see cref="RestoreSettings.KeepPrivileges"/>), e.g. "--keep-privileges".</summary>
    public string KeepPrivileges { get; init; } = nameof(RestoreSettings.KeepPrivileges);

    /// <summary>How to ask for a failed restore's database to be kept (<see cref="RestoreSettings.KeepFailedDatabase"/>), e.g. "--keep-failed".</summary>
    public string KeepFailedDatabase { get; init; } = nameof(RestoreSettings.KeepFailedDatabase);

    /// <summary>What to check when the server can't be reached, completing "Could not connect to database D on S: why. …".</summary>
    public required string CheckConnection { get; init; }

    /// <summary>How to find the right key, given the store's folder; completes "Missing artifact: … neither is its manifest. …".</summary>
    public required Func<string, string> FindTheKey { get; init; }
}
