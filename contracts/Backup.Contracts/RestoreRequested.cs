namespace Backup.Contracts;

/// <summary>
/// Asks for one artifact to be restored into a database on the restore server configured in the restorer. The
/// artifact is named by the key the dumper gave it (BackupCompleted.ArtifactKey); the target server and its
/// credentials come from the restorer's configuration, never from this message.
/// </summary>
public sealed record RestoreRequested
{
    /// <summary>Identifies the restore; RestoreCompleted or RestoreFailed carries the same id.</summary>
    public required Guid RestoreId { get; init; }

    /// <summary>Store-relative artifact key, for example "demo/2026/11/24/20261124T020000Z-&lt;run id&gt;.dump.zst".</summary>
    public required string ArtifactKey { get; init; }

    /// <summary>Plain database name to create. Null: "&lt;source&gt;_restore_&lt;yyyyMMddHHmmss&gt;".</summary>
    public string? TargetDatabase { get; init; }

    /// <summary>Drop and recreate the target database if it exists. Without it, an existing target fails the restore.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Restore the artifact's owners and privileges (ALTER … OWNER TO, GRANT): every role they name must exist on the
    /// restore server, else the restore fails. False (the default): the restorer's role owns everything and no grant is
    /// restored, so the artifact restores onto a server that has none of the source's roles.
    /// </summary>
    public bool KeepPrivileges { get; init; }

    /// <summary>
    /// Keep the database of a restore that fails part-way, for inspection. False (the default): it is dropped, so that no
    /// half-restored database is left behind.
    /// </summary>
    public bool KeepFailedDatabase { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }
    public required string RequestedBy { get; init; }
}
