using Org.BouncyCastle.Bcpg.OpenPgp;
using Backup.Storage.Streams;

namespace Backup.Storage.Encryption;

/// <summary>
/// What the caller writes goes into BouncyCastle's literal-data stream in slices of at most one chunk; the packets
/// that come out collect in <see cref="PendingBytes"/> and are passed on to the output after each slice, synchronously
/// or asynchronously as the caller wrote. So memory stays at a few chunks whatever the size of the artifact, and
/// nothing reaches the output until the session key packets are complete.
/// </summary>
sealed class EncryptingStream : WriteOnlyStream
{
    readonly Stream output;
    readonly PendingBytes pending;
    readonly Stream encrypted;
    readonly Stream literal;
    readonly int chunkBytes;
    bool finished;
    bool outputFailed;

    EncryptingStream(Stream output, PendingBytes pending, Stream encrypted, Stream literal, int chunkBytes)
    {
        this.output = output;
        this.pending = pending;
        this.encrypted = encrypted;
        this.literal = literal;
        this.chunkBytes = chunkBytes;
    }

    public static EncryptingStream Open(Stream output, PgpEncryptedDataGenerator generator, DateTimeOffset now, int chunkBytes)
    {
        var pending = new PendingBytes(4 * chunkBytes);
        var encrypted = generator.Open(pending, new byte[chunkBytes]);
        var literal = new PgpLiteralDataGenerator().Open(new SmallWrites(encrypted), PgpLiteralData.Binary, "", now.UtcDateTime,
            new byte[chunkBytes]);
        return new EncryptingStream(output, pending, encrypted, literal, chunkBytes);
    }

    public override bool CanWrite => !finished;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        while (!buffer.IsEmpty)
        {
            var slice = buffer[..Math.Min(buffer.Length, chunkBytes)];
            literal.Write(slice);
            buffer = buffer[slice.Length..];
            Drain();
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        while (!buffer.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = buffer[..Math.Min(buffer.Length, chunkBytes)];
            literal.Write(slice.Span);
            buffer = buffer[slice.Length..];
            await DrainAsync(cancellationToken);
        }
    }

    /// <summary>Passes on the packets made so far; a partial chunk stays inside until it fills or the stream ends.</summary>
    public override void Flush()
    {
        Drain();
        output.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Finish()) Drain();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Finish()) await DrainAsync(CancellationToken.None);
        await base.DisposeAsync();
    }

    /// <summary>Closes the literal and encrypted packets (the integrity code is the last of it); true when the rest should go out.</summary>
    bool Finish()
    {
        if (finished) return false;
        finished = true;
        literal.Dispose();
        encrypted.Dispose();
        // After a failed write the output is in an unknown state: don't mask that failure with another one.
        return !outputFailed;
    }

    void Drain()
    {
        if (pending.Written.IsEmpty) return;
        try
        {
            output.Write(pending.Written.Span);
        }
        catch
        {
            outputFailed = true;
            throw;
        }

        pending.Clear();
    }

    async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        if (pending.Written.IsEmpty) return;
        try
        {
            await output.WriteAsync(pending.Written, cancellationToken);
        }
        catch
        {
            outputFailed = true;
            throw;
        }

        pending.Clear();
    }

    /// <summary>
    /// Hands writes on in pieces of at most 4 KiB: BouncyCastle's cipher stream encrypts those on the stack but
    /// allocates a new array for every larger write, which would make garbage as large as the artifact.
    /// Doesn't close what it writes to.
    /// </summary>
    sealed class SmallWrites(Stream inner) : WriteOnlyStream
    {
        const int MaxWrite = 4096;

        public override void Write(ReadOnlySpan<byte> source)
        {
            while (!source.IsEmpty)
            {
                var piece = source[..Math.Min(source.Length, MaxWrite)];
                inner.Write(piece);
                source = source[piece.Length..];
            }
        }

        public override void WriteByte(byte value) => inner.WriteByte(value);

        public override void Flush() => inner.Flush();
    }

    /// <summary>A write-only buffer that BouncyCastle writes its packets into, emptied after every slice.</summary>
    sealed class PendingBytes(int capacity) : WriteOnlyStream
    {
        byte[] buffer = new byte[capacity];
        int length;

        public ReadOnlyMemory<byte> Written => buffer.AsMemory(0, length);

        public void Clear() => length = 0;

        public override void Write(ReadOnlySpan<byte> source)
        {
            if (length + source.Length > buffer.Length)
                Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + source.Length));
            source.CopyTo(buffer.AsSpan(length));
            length += source.Length;
        }

        public override void WriteByte(byte value) => Write([value]);

        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }
    }
}
