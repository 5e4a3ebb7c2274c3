using Backup.Storage;
using Microsoft.Win32.SafeHandles;
using Backup.Storage.Streams;

namespace Backup.Recovery.Verification;

/// <summary>
/// The stored bytes of an artifact that a restore decodes: exactly the bytes whose size and SHA-256 were checked
/// (<see cref="StoredBytesCheck"/>). A file of the store is read where it is, through the one handle the check read it
/// with (a store's files never change once committed, and a file deleted meanwhile stays readable through it); other
/// stores' bytes (S3) are copied into the restore's private folder as they are checked. Any number of readers can
/// read them at once, each from the start.
/// </summary>
sealed class CheckedBytes : IDisposable
{
    readonly FileStream file;

    CheckedBytes(FileStream file) => this.file = file;

    /// <summary>Checks <paramref name="key"/>'s stored bytes against <paramref name="manifest"/>, reporting bytes hashed to <paramref name="hashed"/>.</summary>
    public static async Task<CheckedBytes> CheckAsync(IArtifactStore store, ArtifactKey key, ArtifactManifest manifest,
        Func<string, FileStream> createPrivateFile, IProgress<long>? hashed, CancellationToken cancellationToken)
    {
        var stored = await store.OpenReadAsync(key, cancellationToken);
        try
        {
            var hashing = StoredBytesCheck.Open(stored, key, manifest, hashed);
            if (stored is FileStream local)
            {
                await hashing.CheckAsync(cancellationToken);
                return new CheckedBytes(local);
            }
            await using (stored)
            {
                var copy = createPrivateFile("artifact");
                try
                {
                    await hashing.CopyToAsync(copy, 1 << 20, cancellationToken);
                    await hashing.CheckAsync(cancellationToken);
                    await copy.FlushAsync(cancellationToken);
                    return new CheckedBytes(copy);
                }
                catch
                {
                    await copy.DisposeAsync();
                    throw;
                }
            }
        }
        catch
        {
            await stored.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new reader of the checked bytes from their start; it does not close them.</summary>
    public Stream OpenRead() => new Reader(file.SafeFileHandle, RandomAccess.GetLength(file.SafeFileHandle));

    public void Dispose() => file.Dispose();

    sealed class Reader(SafeFileHandle handle, long length) : ReadOnlyStream
    {
        long position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer[..(int)Math.Min(buffer.Length, length - position)], position, cancellationToken);
            position += read;
            return read;
        }

        public override int Read(Span<byte> buffer)
        {
            var read = RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, length - position)], position);
            position += read;
            return read;
        }

        public override long Length => length;
        public override long Position { get => position; set => throw new NotSupportedException(); }
    }
}
