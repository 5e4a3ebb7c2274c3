using ZstdSharp;
using ZstdSharp.Unsafe;
using Backup.Storage.Streams;

namespace Backup.Storage.Compression;

/// <summary>
/// A read-only stream of what <c>source</c> decompresses to, decoded by zstd's own C library (libzstd.so.1, as
/// <see cref="NativeZstdCompression"/>): the same bytes as ZstdSharp, the managed port, for about half its CPU, and no
/// decoder for a fresh process (backupctl) to compile first. It reads concatenated frames and checks each frame's
/// checksum. A damaged or foreign stream fails with ZstdSharp's <see cref="ZstdException"/> and libzstd's message, one
/// cut short in a frame with <see cref="EndOfStreamException"/>, and an empty one is empty: as ZstdSharp reads them.
/// Where the library can't be loaded, <see cref="Open"/> returns ZstdSharp's decoder instead.
/// </summary>
public sealed class NativeZstdDecompression : ReadOnlyStream
{
    readonly Stream source;
    readonly bool leaveOpen;
    readonly byte[] input = GC.AllocateUninitializedArray<byte>(1 << 17, pinned: true);
    int inputAt, inputEnd;
    bool sourceEnded;
    bool outputPending; // the last call filled the whole buffer it was given: the decoder may hold more
    bool inFrame;       // the last call did not end a frame
    nint context;

    NativeZstdDecompression(nint context, Stream source, bool leaveOpen)
    {
        this.context = context;
        this.source = source;
        this.leaveOpen = leaveOpen;
    }

    /// <summary>The decompressed bytes of <paramref name="source"/>, which is disposed with the result unless <paramref name="leaveOpen"/>.</summary>
    public static Stream Open(Stream source, bool leaveOpen = false)
    {
        nint context;
        try
        {
            context = LibZstd.ZSTD_createDCtx();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return new DecompressionStream(source, leaveOpen: leaveOpen);
        }
        if (context == 0) throw new OutOfMemoryException("zstd could not allocate a decompression context.");
        return new NativeZstdDecompression(context, source, leaveOpen);
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(context == 0, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (NeedsInput)
            {
                inputAt = 0;
                inputEnd = source.Read(input);
                sourceEnded = inputEnd == 0;
            }
            if (AtEnd) return End();
            var produced = Decode(buffer);
            if (produced > 0) return produced;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(context == 0, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (NeedsInput)
            {
                inputAt = 0;
                inputEnd = await source.ReadAsync(input, cancellationToken);
                sourceEnded = inputEnd == 0;
            }
            if (AtEnd) return End();
            var produced = Decode(buffer.Span);
            if (produced > 0) return produced;
        }
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    bool NeedsInput => inputAt == inputEnd && !outputPending && !sourceEnded;

    bool AtEnd => inputAt == inputEnd && !outputPending && sourceEnded;

    int End() => inFrame
        ? throw new EndOfStreamException("Premature end of stream: the zstd frame is cut short.")
        : 0;

    /// <summary>One call of ZSTD_decompressStream from the unread input into <paramref name="buffer"/>; returns the bytes it produced.</summary>
    unsafe int Decode(Span<byte> buffer)
    {
        fixed (byte* from = input)
        fixed (byte* to = buffer)
        {
            var inBuffer = new LibZstd.Buffer { Pointer = from, Size = (nuint)inputEnd, Position = (nuint)inputAt };
            var outBuffer = new LibZstd.Buffer { Pointer = to, Size = (nuint)buffer.Length };
            var result = LibZstd.ZSTD_decompressStream(context, &outBuffer, &inBuffer);
            if (LibZstd.IsError(result))
                throw new ZstdException((ZSTD_ErrorCode)LibZstd.ErrorCode(result), LibZstd.ErrorName(result));
            inputAt = (int)inBuffer.Position;
            // 0: a frame ended and all of it is out, even when that filled the buffer. Asked again with no input it would
            // start the next frame's header, and a stream ending there is not cut short.
            inFrame = result != 0;
            outputPending = inFrame && outBuffer.Position == outBuffer.Size;
            return (int)outBuffer.Position;
        }
    }

    void Free()
    {
        if (context == 0) return;
        LibZstd.ZSTD_freeDCtx(context);
        context = 0;
    }

    ~NativeZstdDecompression() => Free();

    protected override void Dispose(bool disposing)
    {
        Free();
        if (disposing && !leaveOpen) source.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Free();
        if (!leaveOpen) await source.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public override bool CanRead => context != 0;
}
