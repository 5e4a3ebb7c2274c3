using System.Security.Cryptography;

namespace Backup.Storage.Streams;

/// <summary>
/// A write-only pass-through that counts and hashes (SHA-256) every byte on its way to <paramref name="inner"/>, which
/// it does not own: what an artifact write measures of the bytes it stores.
/// </summary>
sealed class HashingStream(Stream inner) : WriteOnlyStream
{
    readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long written;

    /// <summary>The size and SHA-256 of every byte written so far; once, when the writing is done.</summary>
    public StoredBytes Measured() => new(written, Convert.ToHexStringLower(hash.GetHashAndReset()));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        hash.AppendData(buffer.Span);
        written += buffer.Length;
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        written += buffer.Length;
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Position { get => written; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) hash.Dispose();
        base.Dispose(disposing);
    }
}
