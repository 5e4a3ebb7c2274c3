namespace Backup.Storage.Streams;

/// <summary>
/// A stream that is read once from its start: what it does not do (write, seek, set a length) is said here once, and
/// the array overloads of its reads are bridged here to the span and memory ones, so that a subclass holds only
/// <see cref="Read(Span{byte})"/> (and <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> when it waits on I/O),
/// and its length or position when it knows them.
/// </summary>
public abstract class ReadOnlyStream : Stream
{
    public abstract override int Read(Span<byte> buffer);

    /// <summary>Reads synchronously: right for a stream whose work is CPU over bytes already at hand; one that waits on I/O overrides it.</summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public sealed override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public sealed override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException();
}
