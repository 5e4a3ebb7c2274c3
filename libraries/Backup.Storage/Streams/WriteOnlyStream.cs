namespace Backup.Storage.Streams;

/// <summary>
/// A stream that is written once from its start: what it does not do (read, seek, set a length) is said here once, and
/// the array overloads of its writes are bridged here to the span and memory ones, so that a subclass holds only
/// <see cref="Write(ReadOnlySpan{byte})"/> (and <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> when it
/// waits on I/O) and its flushes, and its length or position when it knows them.
/// </summary>
public abstract class WriteOnlyStream : Stream
{
    public abstract override void Write(ReadOnlySpan<byte> buffer);

    /// <summary>Writes synchronously: right for a stream whose work is CPU into memory; one that waits on I/O overrides it.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public sealed override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public sealed override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public sealed override bool CanRead => false;
    public sealed override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public sealed override int Read(Span<byte> buffer) => throw new NotSupportedException();
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
