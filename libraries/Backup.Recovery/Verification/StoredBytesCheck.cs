using System.Security.Cryptography;
using Backup.Storage;
using Backup.Storage.Streams;

namespace Backup.Recovery.Verification;

/// <summary>
/// The first check of any artifact: its stored bytes against its manifest. The size first (a cut or grown file fails
/// at once), then the SHA-256 of every byte. <see cref="RunAsync"/> reads the bytes once just to hash them (verify,
/// decrypt); a restore hashes them with a <see cref="HashingReader"/> through <see cref="CheckedBytes"/>, before any
/// database is touched, and then decodes exactly the bytes it hashed.
/// </summary>
public static class StoredBytesCheck
{
    const int BufferBytes = 1 << 20;

    /// <summary>Fails with <see cref="RecoveryErrorCode.IntegrityCheckFailed"/> on any difference; reports bytes hashed so far to <paramref name="progress"/>.</summary>
    public static async Task RunAsync(IArtifactStore store, ArtifactKey key, ArtifactManifest manifest, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        await using var stored = await store.OpenReadAsync(key, cancellationToken);
        using var hashing = Open(stored, key, manifest, progress);
        await hashing.CheckAsync(cancellationToken);
    }

    /// <summary>
    /// Checks the size of <paramref name="stored"/> against the manifest at once, and returns a reader of its bytes that
    /// hashes them as they are read; <see cref="HashingReader.CheckAsync"/> then reads what is left and checks the hash.
    /// </summary>
    public static HashingReader Open(Stream stored, ArtifactKey key, ArtifactManifest manifest, IProgress<long>? progress)
    {
        var size = stored.Length;
        if (size != manifest.StoredSizeBytes)
            throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed, size < manifest.StoredSizeBytes
                ? $"Size mismatch: {key} is {size:N0} bytes but its manifest says {manifest.StoredSizeBytes:N0}: the file was truncated (cut short by {manifest.StoredSizeBytes - size:N0} bytes). Do not restore it."
                : $"Size mismatch: {key} is {size:N0} bytes but its manifest says {manifest.StoredSizeBytes:N0}: {size - manifest.StoredSizeBytes:N0} bytes were added to it. Do not restore it.");
        return new HashingReader(stored, key, manifest, progress);
    }

    /// <summary>
    /// A read-only pass-through over the stored bytes that hashes and counts every byte read. Disposing it leaves the
    /// stored stream open and the hash running (the decoders above it dispose what they read from; the bytes they
    /// leave are read and hashed by <see cref="CheckAsync"/>).
    /// </summary>
    public sealed class HashingReader(Stream stored, ArtifactKey key, ArtifactManifest manifest, IProgress<long>? progress) : ReadOnlyStream
    {
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long read;

        /// <summary>
        /// Reads the stored bytes not read yet, then fails with <see cref="RecoveryErrorCode.IntegrityCheckFailed"/>
        /// unless every byte was read and their SHA-256 is the manifest's.
        /// </summary>
        public async Task CheckAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[BufferBytes];
            while (await ReadAsync(buffer, cancellationToken) > 0) { }
            string actual;
            using (hash)
                actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (read != manifest.StoredSizeBytes)
                throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                    $"Size mismatch: {read:N0} bytes of {key} could be read but its manifest says {manifest.StoredSizeBytes:N0}: the file changed while it was read. Do not restore it.");
            if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new RecoveryException(RecoveryErrorCode.IntegrityCheckFailed,
                    $"Hash mismatch: the SHA-256 of {key} is {actual} but its manifest says {manifest.Sha256}. " +
                    "Same size, different bytes: the file was altered or damaged on disk. Do not restore it; take another backup or an older one.");
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = await stored.ReadAsync(buffer, cancellationToken);
            Hashed(buffer.Span[..count]);
            return count;
        }

        public override int Read(Span<byte> buffer)
        {
            var got = stored.Read(buffer);
            Hashed(buffer[..got]);
            return got;
        }

        void Hashed(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty) return;
            hash.AppendData(bytes);
            read += bytes.Length;
            progress?.Report(read);
        }

        public override long Length => manifest.StoredSizeBytes;
        public override long Position { get => read; set => throw new NotSupportedException(); }
    }
}
