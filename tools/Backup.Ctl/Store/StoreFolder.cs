using System.Text.Json;
using Backup.Recovery.Verification;
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
    /// The manifest of an artifact that must be complete (<see cref="ManifestCheck"/>): fails when the artifact or its
    /// manifest is missing, or the manifest is unreadable or belongs to another artifact (exit code
    /// <see cref="ExitCodes.ArtifactFailed"/>).
    /// </summary>
    public Task<ArtifactManifest> ReadCompleteAsync(ArtifactKey key, CancellationToken cancellationToken) =>
        ManifestCheck.RunAsync(Store, Root, key, BackupCtl.Caller, cancellationToken);

    /// <summary>Every backup in the folder: artifacts with or without a manifest, and manifests whose artifact is gone.</summary>
    public async Task<IReadOnlyList<StoreEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = new List<StoreEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in Store.ListAsync(cancellationToken))
        {
            seen.Add(key.ManifestPath);
            if (!File.Exists(PathOf(key.ManifestPath)))
            {
                entries.Add(new StoreEntry(key, null, ArtifactPresent: true));
                continue;
            }
            var (manifest, problem) = await ManifestCheck.TryReadAsync(Store, key, cancellationToken);
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

    /// <summary>A manifest file with no artifact beside it, when it is one the service wrote (its key is its own place).</summary>
    static async Task<StoreEntry?> TryReadOrphanAsync(string file, string relative, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(file);
            var manifest = await JsonSerializer.DeserializeAsync(stream, ArtifactManifest.Contract, cancellationToken);
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
