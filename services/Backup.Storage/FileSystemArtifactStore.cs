using Microsoft.Extensions.Options;

namespace Backup.Storage;

/// <summary>
/// Artifacts as files under <see cref="StorageOptions.Root"/>. A write goes to ".&lt;name&gt;.partial-&lt;id&gt;" in
/// the artifact's folder, is fsynced, and is renamed to its final name only when complete.
/// </summary>
public sealed class FileSystemArtifactStore(IOptions<StorageOptions> options) : IArtifactStore
{
    const string PartialMarker = ".partial-";

    readonly string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.Root));

    public Task<IArtifactWrite> BeginWriteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temporary = Path.Combine(Path.GetDirectoryName(final)!, $".{key.FileName}{PartialMarker}{Guid.NewGuid():N}");
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
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IArtifactWrite>(new FileWrite(new FileStream(temporary, fileOptions), temporary, final));
    }

    public Stream OpenRead(ArtifactKey key) =>
        new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);

    public bool Exists(ArtifactKey key) => File.Exists(PathOf(key));

    public Task<bool> DeleteAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }

    string PathOf(ArtifactKey key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key.Value));
        // ArtifactKey's shape already forbids "..", this is the second lock on the door.
        if (!path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException("Artifact key resolves outside the store.");
        return path;
    }

    sealed class FileWrite(FileStream stream, string temporary, string final) : IArtifactWrite
    {
        bool committed;

        public Stream Content => stream;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
            File.Move(temporary, final, overwrite: false);
            committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            if (!committed && File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
