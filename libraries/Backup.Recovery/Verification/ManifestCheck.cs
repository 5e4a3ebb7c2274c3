using System.Text.Json;
using Backup.Storage;

namespace Backup.Recovery.Verification;

/// <summary>
/// Before any byte is checked: the artifact and its manifest are both in the store, and the manifest is readable and
/// describes this artifact with a SHA-256 and a size. The manifest is written last, so an artifact without one never
/// completed; without it nothing can be checked, so nothing is trusted.
/// </summary>
public static class ManifestCheck
{
    /// <summary>
    /// The manifest of an artifact that must be complete. Fails with <see cref="RecoveryErrorCode.ArtifactNotFound"/>
    /// when the artifact is missing, and <see cref="RecoveryErrorCode.ManifestMissing"/> when its manifest is missing,
    /// unreadable or belongs to another artifact. <paramref name="root"/> is the store's folder, for the messages.
    /// </summary>
    public static async Task<ArtifactManifest> RunAsync(IArtifactStore store, string root, ArtifactKey key, RecoveryCaller caller,
        CancellationToken cancellationToken)
    {
        var (manifest, problem, hasManifest) = await ReadAsync(store, key, cancellationToken);
        if (!await store.ExistsAsync(key, cancellationToken))
            throw new RecoveryException(RecoveryErrorCode.ArtifactNotFound, hasManifest
                ? $"Missing artifact: {key} is not in the store, though its manifest ({key.ManifestPath}) is: the artifact file was deleted or moved. Nothing to verify or restore."
                : $"Missing artifact: {key} is not in the store '{root}', and neither is its manifest. {caller.FindTheKey(root)}");
        if (!hasManifest)
            throw new RecoveryException(RecoveryErrorCode.ManifestMissing,
                $"Missing manifest: {key} has no manifest ({key.ManifestPath}). Either the backup never completed (the manifest is written last) " +
                "or the manifest was deleted; without it the artifact's size, SHA-256 and row counts can't be checked, so it is not trusted.");
        if (manifest is null)
            throw new RecoveryException(RecoveryErrorCode.ManifestMissing,
                $"Unreadable manifest: {key.ManifestPath} ({problem}); the artifact can't be checked against it.");
        return manifest;
    }

    /// <summary>The artifact's manifest, or what is wrong with it: unreadable JSON, gone, about another artifact, no valid SHA-256 or size.</summary>
    public static async Task<(ArtifactManifest? Manifest, string? Problem)> TryReadAsync(IArtifactStore store, ArtifactKey key,
        CancellationToken cancellationToken)
    {
        var (manifest, problem, _) = await ReadAsync(store, key, cancellationToken);
        return (manifest, problem);
    }

    static async Task<(ArtifactManifest? Manifest, string? Problem, bool Present)> ReadAsync(IArtifactStore store, ArtifactKey key,
        CancellationToken cancellationToken)
    {
        ArtifactManifest? manifest;
        try
        {
            manifest = await store.ReadManifestAsync(key, cancellationToken);
        }
        catch (JsonException e)
        {
            return (null, $"not valid manifest JSON: {e.Message}", true);
        }
        if (manifest is null) return (null, "it is gone", false);
        if (manifest.ArtifactKey != key.Value)
            return (null, $"it describes {manifest.ArtifactKey}, not {key}", true);
        if (manifest.Sha256 is not { Length: 64 } || manifest.StoredSizeBytes < 0)
            return (null, "it has no valid SHA-256 or size", true);
        return (manifest, null, true);
    }
}
