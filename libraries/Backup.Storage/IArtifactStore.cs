namespace Backup.Storage;

/// <summary>
/// Where artifacts live: a folder (<see cref="FileSystemArtifactStore"/>) or an S3-compatible bucket. An artifact
/// becomes visible only once it is completely written, and it counts as a backup only once its manifest, written
/// last, is there too. Every call may fail with <see cref="ArtifactStoreException"/>, which says whether trying
/// again can help.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Where the store is, for people: a folder's path or "s3://bucket/prefix". Never holds a secret.</summary>
    string Location { get; }

    /// <summary>Starts writing an artifact; nothing is visible under its key until <see cref="IArtifactWrite.CommitAsync"/>.</summary>
    Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Writes the manifest beside its artifact, atomically.</summary>
    Task WriteManifestAsync(ArtifactManifest manifest, CancellationToken cancellationToken);

    /// <summary>The artifact's manifest, or null when there is none (an artifact without one is not a complete backup).</summary>
    Task<ArtifactManifest?> ReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a complete artifact for reading, streamed (never buffered whole); the stream's Length is the artifact's
    /// size. Throws <see cref="FileNotFoundException"/> when it is absent.
    /// </summary>
    Task<Stream> OpenReadAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>True when a complete artifact is stored under the key (its manifest may still be missing).</summary>
    Task<bool> ExistsAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Every artifact in the store (with or without a manifest), in key order.</summary>
    IAsyncEnumerable<ArtifactKey> ListAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the manifest, then the artifact; true when the artifact existed.</summary>
    Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what interrupted writes left behind (temporary files, unfinished uploads), if older than
    /// <paramref name="olderThan"/>; returns their names.
    /// </summary>
    Task<IReadOnlyList<string>> RemoveLeftoversAsync(TimeSpan olderThan, CancellationToken cancellationToken);
}

/// <summary>An artifact being written. Disposing it without committing removes (or aborts) everything it wrote.</summary>
public interface IArtifactWrite : IAsyncDisposable
{
    /// <summary>Where the artifact's bytes go; the write counts and hashes them on their way (one hash per write).</summary>
    Stream Content { get; }

    /// <summary>
    /// Makes the artifact durable and visible under its key, and returns the size and SHA-256 of the bytes written to
    /// <see cref="Content"/>, which the manifest records (an S3 object is read back first and must have them). Fails if
    /// the key already exists.
    /// </summary>
    Task<StoredBytes> CommitAsync(CancellationToken cancellationToken);
}
