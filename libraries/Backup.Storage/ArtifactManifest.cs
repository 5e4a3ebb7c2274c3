using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Backup.Storage;

/// <summary>
/// What an artifact is, stored beside it as JSON and written last: with the store alone (no catalog, no broker) an
/// operator can tell what each file holds, check it, and restore it. Never holds a secret or key material.
/// </summary>
public sealed record ArtifactManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required Guid RunId { get; init; }
    public required string Source { get; init; }
    public required string ArtifactKey { get; init; }

    /// <summary>"pg_dump-custom", "pg_dump-custom+zstd" or "pg_dump-custom+zstd+openpgp".</summary>
    public required string Format { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    public required string Database { get; init; }
    public required string ServerVersion { get; init; }
    public required string PgDumpVersion { get; init; }

    /// <summary>The tables whose data the archive holds, with their row counts in the dump's own snapshot.</summary>
    public required IReadOnlyList<ManifestTable> Tables { get; init; }

    /// <summary>Tables whose definition is in the archive but whose rows were deliberately left out.</summary>
    public IReadOnlyList<string> SchemaOnlyTables { get; init; } = [];

    /// <summary>Problems a restore will meet, such as a foreign key to a table that was left out.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Bytes pg_dump wrote (the archive before compression and encryption).</summary>
    public required long RawSizeBytes { get; init; }

    /// <summary>Bytes stored; the artifact's length.</summary>
    public required long StoredSizeBytes { get; init; }

    public required ManifestCompression Compression { get; init; }

    /// <summary>Null when the artifact is not encrypted.</summary>
    public ManifestEncryption? Encryption { get; init; }

    /// <summary>Lower-case hex SHA-256 of the stored bytes.</summary>
    public required string Sha256 { get; init; }

    /// <summary>
    /// How every manifest is written and read: web names, indented, nulls left out, by the source-generated
    /// <see cref="ManifestJson"/>. A call that names it needs no reflection: a fresh process (backupctl, a service's
    /// first backup) builds no serializers at run time (~80 ms and ~100 methods compiled in backupctl), and it runs in
    /// backupctl's native (ahead-of-time compiled) build.
    /// </summary>
    public static JsonTypeInfo<ArtifactManifest> Contract => ManifestJson.Default.ArtifactManifest;
}

/// <summary>The manifest's JSON contract, generated at build time (<see cref="ArtifactManifest.Contract"/>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ArtifactManifest))]
public sealed partial class ManifestJson : JsonSerializerContext;

public sealed record ManifestTable(string Schema, string Name, long Rows);

public sealed record ManifestCompression(string Algorithm, int Level);

/// <summary>Who can decrypt: recipients' key ids and user ids, and "passphrase" when one was used. Never keys.</summary>
public sealed record ManifestEncryption(string Method, IReadOnlyList<string> Recipients);
