using System.Globalization;
using Backup.Storage;

namespace Backup.Ctl.Store;

/// <summary>
/// One backup as the store folder shows it: its key, its manifest when there is one, and whether the artifact file is
/// there. A complete backup has both; an artifact without a manifest never completed (the manifest is written last);
/// a manifest without its artifact means the artifact was deleted.
/// </summary>
public sealed record StoreEntry(ArtifactKey Key, ArtifactManifest? Manifest, bool ArtifactPresent, string? ManifestProblem = null)
{
    public bool IsComplete => ArtifactPresent && Manifest is not null;

    /// <summary>What the entry lacks, for people: null when it is complete.</summary>
    public string? Incompleteness =>
        !ArtifactPresent ? "missing artifact (manifest only)"
        : ManifestProblem is not null ? $"unreadable manifest ({ManifestProblem})"
        : Manifest is null ? "incomplete (no manifest)"
        : null;

    /// <summary>The run id written into the key: "…Z-&lt;32 hex&gt;.dump…".</summary>
    public Guid RunId => Manifest?.RunId ?? Guid.ParseExact(Key.Stem[(Key.Stem.LastIndexOf('-') + 1)..], "N");

    /// <summary>The time written into the key (UTC, to the second).</summary>
    public DateTimeOffset KeyTime => DateTimeOffset.ParseExact(
        Key.Stem[(Key.Stem.LastIndexOf('/') + 1)..Key.Stem.LastIndexOf('-')], "yyyyMMdd'T'HHmmss'Z'",
        CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>When the backup completed, or for an incomplete one the time in its key.</summary>
    public DateTimeOffset NewestTime => Manifest?.CompletedAt ?? KeyTime;
}
