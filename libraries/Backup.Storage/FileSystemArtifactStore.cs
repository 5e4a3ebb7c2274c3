using System.Runtime.CompilerServices;
using System.Text.Json;
using Backup.Storage.Streams;
using Microsoft.Extensions.Options;

namespace Backup.Storage;

/// <summary>
/// Artifacts as files under <see cref="StorageOptions.Root"/>. A write goes to ".&lt;name&gt;.partial-&lt;id&gt;" in
/// the artifact's folder, is fsynced, and is given its final name only when complete; the manifest is written the same
/// way, after the artifact. Both are create-only: the final name is made with a hard link (link(2), which fails when
/// the name exists, then the temporary name is removed), so two writers of one key can't replace each other's file;
/// the second gets an <see cref="ArtifactStoreException"/> saying the name is taken.
/// </summary>
public sealed class FileSystemArtifactStore(IOptions<StorageOptions> options, TimeProvider clock) : IArtifactStore
{
    const string PartialMarker = ".partial-";

    readonly string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.Root));

    public string Location => root;

    public Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (stream, temporary) = CreateTemporary(PathOf(key.Value));
        return Task.FromResult<IArtifactWrite>(new FileWrite(stream, temporary, PathOf(key.Value)));
    }

    public async Task WriteManifestAsync(ArtifactManifest manifest, CancellationToken cancellationToken)
    {
        var key = ArtifactKey.Parse(manifest.ArtifactKey);
        var final = PathOf(key.ManifestPath);
        var (stream, temporary) = CreateTemporary(final);
        await using var write = new FileWrite(stream, temporary, final);
        await JsonSerializer.SerializeAsync(write.Content, manifest, ArtifactManifest.Contract, cancellationToken);
        await write.CommitAsync(cancellationToken);
    }

    public async Task<ArtifactManifest?> ReadManifestAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var path = PathOf(key.ManifestPath);
        if (!File.Exists(path)) return null;
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, ArtifactManifest.Contract, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<Stream>(new FileStream(PathOf(key.Value), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.Asynchronous));
    }

    public Task<bool> ExistsAsync(ArtifactKey key, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(key.Value)));

    public async IAsyncEnumerable<ArtifactKey> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(root)) yield break;
        foreach (var file in Directory.EnumerateFiles(root, "*.dump*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ArtifactKey.TryParse(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), out var key))
                yield return key;
        }
    }

    public Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var manifest = PathOf(key.ManifestPath);
        if (File.Exists(manifest)) File.Delete(manifest); // File.Delete fails when the folder is missing too
        var path = PathOf(key.Value);
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<string>> RemoveLeftoversAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root)) return Task.FromResult<IReadOnlyList<string>>([]);
        var removed = new List<string>();
        var cutoff = clock.GetUtcNow().UtcDateTime - olderThan;
        foreach (var file in Directory.EnumerateFiles(root, $".*{PartialMarker}*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (File.GetLastWriteTimeUtc(file) > cutoff) continue;
            File.Delete(file);
            removed.Add(Path.GetRelativePath(root, file));
        }
        return Task.FromResult<IReadOnlyList<string>>(removed);
    }

    static (FileStream Stream, string Temporary) CreateTemporary(string final)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temporary = Path.Combine(Path.GetDirectoryName(final)!, $".{Path.GetFileName(final)}{PartialMarker}{Guid.NewGuid():N}");
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        return (new FileStream(temporary, fileOptions), temporary);
    }

    string PathOf(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(root, relative));
        // ArtifactKey's shape already forbids "..", this is the second lock on the door.
        if (!path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException("Artifact key resolves outside the store.");
        return path;
    }

    sealed class FileWrite(FileStream stream, string temporary, string final) : IArtifactWrite
    {
        readonly HashingStream content = new(stream);
        bool committed;

        public Stream Content => content;

        public async Task<StoredBytes> CommitAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
            try
            {
                File.Move(temporary, final, overwrite: false); // link(2) then unlink(2) on Linux: never replaces
            }
            catch (IOException e) when (File.Exists(final))
            {
                throw new ArtifactStoreException(
                    $"{final} already exists: another writer committed it first, and artifacts and manifests are never replaced.",
                    transient: true, e);
            }
            committed = true;
            return content.Measured();
        }

        public async ValueTask DisposeAsync()
        {
            content.Dispose();
            try
            {
                await stream.DisposeAsync(); // may throw again on a full disk (the buffered rest can't be written)
            }
            finally
            {
                if (!committed && File.Exists(temporary))
                    File.Delete(temporary);
            }
        }
    }
}
