using System.Security.Cryptography;
using Backup.Storage.Streams;

namespace Backup.Dumper.Dumping;

/// <summary>A write-only pass-through that hashes and counts every byte on its way to the store.</summary>
public sealed class HashingStream(Stream inner, IncrementalHash hash) : WriteOnlyStream
{
    public long BytesWritten { get; private set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        hash.AppendData(buffer.Span);
        BytesWritten += buffer.Length;
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        BytesWritten += buffer.Length;
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
}
