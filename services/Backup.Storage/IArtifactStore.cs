namespace Backup.Storage;

/// <summary>
/// Where artifacts live. An artifact becomes visible only once it is completely written, and it counts as a backup
/// only once its manifest, written last, is there too.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Starts writing an artifact under a hidden temporary name; nothing is visible until <see cref="IArtifactWrite.CommitAsync"/>.</summary>
    Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Writes the manifest beside its artifact, atomically.</summary>
    Task WriteManifestAsync(ArtifactManifest manifest, CancellationToken cancellationToken);

    /// <summary>The artifact's manifest, or null when there is none (an artifact without one is not a complete backup).</summary>
    Task<ArtifactManifest?> ReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Opens a complete artifact for reading; throws <see cref="FileNotFoundException"/> when it is absent.</summary>
    Stream OpenRead(ArtifactKey key);

    bool Exists(ArtifactKey key);

    /// <summary>Every artifact in the store (with or without a manifest), in key order.</summary>
    IEnumerable<ArtifactKey> List();

    /// <summary>Deletes the manifest, then the artifact; true when the artifact existed.</summary>
    Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Removes what interrupted writes left behind, if older than <paramref name="olderThan"/>; returns their names.</summary>
    IReadOnlyList<string> RemoveLeftovers(TimeSpan olderThan);
}

/// <summary>An artifact being written. Disposing it without committing removes everything it wrote.</summary>
public interface IArtifactWrite : IAsyncDisposable
{
    Stream Content { get; }

    /// <summary>Flushes to disk and makes the artifact visible under its key. Fails if the key already exists.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
