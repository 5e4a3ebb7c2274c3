using System.Text.Json;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.Ctl.Store;

/// <summary>
/// An artifact store folder, opened by path with nothing else running: the same <see cref="FileSystemArtifactStore"/>
/// the services use, plus what only an operator needs (manifests whose artifact is gone, clear refusals). Keys are
/// always parsed with <see cref="ArtifactKey.Parse"/>, so no argument can name a file outside the store.
/// </summary>
public sealed class StoreFolder
{
    const string ManifestSuffix = ".manifest.json";

    StoreFolder(string root)
    {
        Root = root;
        Store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = root }), TimeProvider.System);
    }

    public string Root { get; }

    public IArtifactStore Store { get; }

    public static StoreFolder Open(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw CommandFailure.Usage("--store is empty; give the artifact store's folder (the services' Storage:Root).");
        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root))
            throw CommandFailure.Usage($"The store folder '{root}' does not exist; give the artifact store's folder (the services' Storage:Root).");
        return new StoreFolder(root);
    }

    /// <summary>KEY as <c>backupctl list</c> prints it; anything else is refused before a file is opened.</summary>
    public static ArtifactKey ParseKey(string? text)
    {
        if (ArtifactKey.TryParse(text?.Trim(), out var key)) return key;
        throw CommandFailure.Usage(
            $"'{text}' is not an artifact key. Give the store-relative key as 'backupctl list' prints it, e.g. " +
            "demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst (not a path, no leading './' or folder).");
    }

    /// <summary>
    /// The manifest of an artifact that must be complete. Fails (<see cref="ExitCodes.ArtifactFailed"/>) when the
    /// artifact or its manifest is missing, or the manifest is unreadable or belongs to another artifact.
    /// </summary>
    public async Task<ArtifactManifest> ReadCompleteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var hasManifest = File.Exists(PathOf(key.ManifestPath));
        if (!Store.Exists(key))
            throw CommandFailure.Artifact(hasManifest
                ? $"Missing artifact: {key} is not in the store, though its manifest ({key.ManifestPath}) is: the artifact file was deleted or moved. Nothing to verify or restore."
                : $"Missing artifact: {key} is not in the store '{Root}', and neither is its manifest. Check the key with 'backupctl list --store {Root}'.");
        if (!hasManifest)
            throw CommandFailure.Artifact(
                $"Missing manifest: {key} has no manifest ({key.ManifestPath}). Either the backup never completed (the manifest is written last) " +
                "or the manifest was deleted; without it the artifact's size, SHA-256 and row counts can't be checked, so it is not trusted.");

        var (manifest, problem) = await TryReadManifestAsync(key, cancellationToken);
        if (manifest is null)
            throw CommandFailure.Artifact($"Unreadable manifest: {key.ManifestPath} ({problem}); the artifact can't be checked against it.");
        return manifest;
    }

    /// <summary>Every backup in the folder: artifacts with or without a manifest, and manifests whose artifact is gone.</summary>
    public async Task<IReadOnlyList<StoreEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = new List<StoreEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in Store.List())
        {
            seen.Add(key.ManifestPath);
            if (!File.Exists(PathOf(key.ManifestPath)))
            {
                entries.Add(new StoreEntry(key, null, ArtifactPresent: true));
                continue;
            }
            var (manifest, problem) = await TryReadManifestAsync(key, cancellationToken);
            entries.Add(new StoreEntry(key, manifest, ArtifactPresent: true, problem));
        }

        foreach (var file in Directory.EnumerateFiles(Root, "*" + ManifestSuffix, SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (seen.Contains(relative)) continue;
            var orphan = await TryReadOrphanAsync(file, relative, cancellationToken);
            if (orphan is not null) entries.Add(orphan);
        }

        return entries;
    }

    async Task<(ArtifactManifest? Manifest, string? Problem)> TryReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        ArtifactManifest? manifest;
        try
        {
            manifest = await Store.ReadManifestAsync(key, cancellationToken);
        }
        catch (JsonException e)
        {
            return (null, $"not valid manifest JSON: {e.Message}");
        }
        if (manifest is null) return (null, "it is gone");
        if (manifest.ArtifactKey != key.Value)
            return (null, $"it describes {manifest.ArtifactKey}, not {key}");
        if (manifest.Sha256 is not { Length: 64 } || manifest.StoredSizeBytes < 0)
            return (null, "it has no valid SHA-256 or size");
        return (manifest, null);
    }

    /// <summary>A manifest file with no artifact beside it, when it is one the service wrote (its key is its own place).</summary>
    static async Task<StoreEntry?> TryReadOrphanAsync(string file, string relative, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(file);
            var manifest = await JsonSerializer.DeserializeAsync<ArtifactManifest>(stream, ArtifactManifest.Json, cancellationToken);
            if (manifest is not null && ArtifactKey.TryParse(manifest.ArtifactKey, out var key) && key.ManifestPath == relative)
                return new StoreEntry(key, manifest, ArtifactPresent: false);
        }
        catch (JsonException)
        {
            // Not a manifest this tool can place; a stray file.
        }
        return null;
    }

    string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));
}
