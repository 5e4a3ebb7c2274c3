namespace Backup.Contracts;

/// <summary>The artifact is complete and visible in the store. Its bytes hash to <see cref="Sha256"/>.</summary>
public sealed record BackupCompleted
{
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>
    /// Store-relative key made by the dumper, for example "demo/2026/11/24/20261124T020000Z-&lt;run id&gt;.dump.zst"
    /// (".dump.zst.gpg" when encrypted). Its manifest is beside it: "&lt;same stem&gt;.manifest.json".
    /// </summary>
    public required string ArtifactKey { get; init; }

    public required long SizeBytes { get; init; }

    /// <summary>Lower-case hex SHA-256 of the artifact's bytes as stored.</summary>
    public required string Sha256 { get; init; }

    /// <summary>
    /// "pg_dump-custom+zstd" (restore with "zstd -dc | pg_restore") or "pg_dump-custom+zstd+openpgp"
    /// ("gpg --decrypt | zstd -dc | pg_restore").
    /// </summary>
    public required string Format { get; init; }

    /// <summary>
    /// The pg_dump archive's size in bytes before compression and encryption (the manifest's RawSizeBytes); null from
    /// publishers that predate it.
    /// </summary>
    public long? RawSizeBytes { get; init; }

    /// <summary>
    /// Each table of the backup with its row count (the manifest's Tables); null from publishers that predate it, and
    /// then the catalog compares nothing for this run.
    /// </summary>
    public IReadOnlyList<BackupTable>? Tables { get; init; }
}
