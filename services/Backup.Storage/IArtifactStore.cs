namespace Backup.Storage;

/// <summary>Where artifacts live. An artifact becomes visible only once it is completely written.</summary>
public interface IArtifactStore
{
    /// <summary>Starts writing an artifact under a hidden temporary name; nothing is visible until <see cref="IArtifactWrite.CommitAsync"/>.</summary>
    Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken);

    /// <summary>Opens a complete artifact for reading; throws <see cref="FileNotFoundException"/> when it is absent.</summary>
    Stream OpenRead(ArtifactKey key);

    bool Exists(ArtifactKey key);

    /// <summary>Deletes the artifact; true when it existed.</summary>
    Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken);
}

/// <summary>An artifact being written. Disposing it without committing removes everything it wrote.</summary>
public interface IArtifactWrite : IAsyncDisposable
{
    Stream Content { get; }

    /// <summary>Flushes to disk and makes the artifact visible under its key. Fails if the key already exists.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
