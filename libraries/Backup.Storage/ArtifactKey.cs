using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Backup.ServiceDefaults;

namespace Backup.Storage;

/// <summary>
/// The store-relative name of an artifact, always made by the service from a validated source name, a run id, a
/// time and the artifact's encoding: "demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst"
/// (".dump" a plain pg_dump archive, ".dump.zst" compressed with zstd, ".dump.zst.gpg" then OpenPGP-encrypted).
/// Its manifest sits beside it under <see cref="ManifestPath"/>. A key that arrives in a message is parsed against
/// exactly that shape before it is used, so no message can name a path of its choosing.
/// </summary>
public sealed partial record ArtifactKey
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,62}/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{32}\.dump(\.zst(\.gpg)?)?\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    ArtifactKey(string value) => Value = value;

    public string Value { get; }

    public string Source => Value[..Value.IndexOf('/')];

    /// <summary>The run the key was made for (its last 32 hex digits before the extension).</summary>
    public Guid RunId => Guid.ParseExact(Stem[^32..], "N");

    public string FileName => Value[(Value.LastIndexOf('/') + 1)..];

    /// <summary>The key without its encoding's extension: the artifact's name for people and for its manifest.</summary>
    public string Stem => Value[..Value.IndexOf(".dump", StringComparison.Ordinal)];

    /// <summary>Where the artifact's manifest is stored: "&lt;stem&gt;.manifest.json".</summary>
    public string ManifestPath => Stem + ".manifest.json";

    public ArtifactEncoding Encoding => Value.EndsWith(".gpg", StringComparison.Ordinal) ? ArtifactEncoding.ZstdOpenPgp
        : Value.EndsWith(".zst", StringComparison.Ordinal) ? ArtifactEncoding.Zstd
        : ArtifactEncoding.Plain;

    public static ArtifactKey Create(string source, Guid runId, DateTimeOffset at,
        ArtifactEncoding encoding = ArtifactEncoding.Zstd)
    {
        if (!SourceNames.IsValid(source))
            throw new ArgumentException($"'{source}' is not a valid source name ({SourceNames.Rule}).", nameof(source));
        var utc = at.ToUniversalTime();
        var extension = encoding switch
        {
            ArtifactEncoding.Plain => ".dump",
            ArtifactEncoding.Zstd => ".dump.zst",
            _ => ".dump.zst.gpg",
        };
        return new ArtifactKey(string.Create(CultureInfo.InvariantCulture,
            $"{source}/{utc:yyyy}/{utc:MM}/{utc:dd}/{utc:yyyyMMdd'T'HHmmss'Z'}-{runId:N}{extension}"));
    }

    public static bool TryParse(string? value, [NotNullWhen(true)] out ArtifactKey? key)
    {
        key = value is not null && Shape().IsMatch(value) ? new ArtifactKey(value) : null;
        return key is not null;
    }

    public static ArtifactKey Parse(string? value) =>
        TryParse(value, out var key) ? key : throw new FormatException("Not an artifact key made by this service.");

    public override string ToString() => Value;
}

/// <summary>How an artifact's bytes encode the pg_dump archive.</summary>
public enum ArtifactEncoding
{
    /// <summary>The pg_dump custom-format archive itself.</summary>
    Plain,

    /// <summary>The archive (written by pg_dump without its own compression) compressed with zstd.</summary>
    Zstd,

    /// <summary>Zstd, then OpenPGP-encrypted: "gpg -d X | zstd -d | pg_restore".</summary>
    ZstdOpenPgp,
}
