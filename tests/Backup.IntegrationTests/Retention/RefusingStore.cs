using Backup.Storage;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// The real store, except that while <see cref="Refusing"/> is set it refuses every delete, as a read-only mount or
/// a bucket that denies DeleteObject would (tests run as root, so file permissions can't make a folder refuse).
/// Counts the deletes that went through.
/// </summary>
public sealed class RefusingStore(IArtifactStore store) : IArtifactStore
{
    int deleted;

    public volatile bool Refusing;

    public int Deleted => deleted;

    public string Location => store.Location;

    public Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken) => store.BeginWriteAsync(key, cancellationToken);

    public Task WriteManifestAsync(ArtifactManifest manifest, CancellationToken cancellationToken) => store.WriteManifestAsync(manifest, cancellationToken);

    public Task<ArtifactManifest?> ReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken) => store.ReadManifestAsync(key, cancellationToken);

    public Task<Stream> OpenReadAsync(ArtifactKey key, CancellationToken cancellationToken) => store.OpenReadAsync(key, cancellationToken);

    public Task<bool> ExistsAsync(ArtifactKey key, CancellationToken cancellationToken) => store.ExistsAsync(key, cancellationToken);

    public IAsyncEnumerable<ArtifactKey> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public async Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        if (Refusing)
            throw new ArtifactStoreException($"Access denied deleting {key}: the store is read-only.", transient: false);
        var existed = await store.DeleteAsync(key, cancellationToken);
        if (existed) Interlocked.Increment(ref deleted);
        return existed;
    }

    public Task<IReadOnlyList<string>> RemoveLeftoversAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        store.RemoveLeftoversAsync(olderThan, cancellationToken);
}
