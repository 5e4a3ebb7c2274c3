using Backup.Storage.Streams;

namespace Backup.Storage.S3;

/// <summary>
/// A write-only stream that collects bytes into one buffer of a part's size and hands each full buffer to
/// <c>sendPart</c> before taking more, so it never holds more than one part. Synchronous writes (OpenPGP's) block on
/// the send.
/// </summary>
sealed class PartBufferStream(int partSizeBytes, Func<ArraySegment<byte>, CancellationToken, Task> sendPart,
    CancellationToken writeCancellation) : WriteOnlyStream
{
    byte[]? buffer = new byte[partSizeBytes];
    int filled;
    long written;
    bool anySent;

    public override bool CanWrite => buffer is not null;
    public override long Length => written;

    public override long Position
    {
        get => written;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            var taken = Take(source);
            source = source[taken..];
            if (filled == partSizeBytes)
                SendFullAsync(writeCancellation).GetAwaiter().GetResult();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        while (!source.IsEmpty)
        {
            var taken = Take(source.Span);
            source = source[taken..];
            if (filled == partSizeBytes)
                await SendFullAsync(cancellationToken);
        }
    }

    /// <summary>Sends what is buffered as the last part (S3 needs at least one, even empty).</summary>
    public async Task SendRemainderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(buffer is null, this);
        if (filled > 0 || !anySent)
            await SendFullAsync(cancellationToken);
        buffer = null;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        buffer = null;
        base.Dispose(disposing);
    }

    int Take(ReadOnlySpan<byte> source)
    {
        ObjectDisposedException.ThrowIf(buffer is null, this);
        var count = Math.Min(source.Length, partSizeBytes - filled);
        source[..count].CopyTo(buffer.AsSpan(filled));
        filled += count;
        written += count;
        return count;
    }

    async Task SendFullAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, writeCancellation);
        await sendPart(new ArraySegment<byte>(buffer!, 0, filled), linked.Token);
        filled = 0;
        anySent = true;
    }
}
