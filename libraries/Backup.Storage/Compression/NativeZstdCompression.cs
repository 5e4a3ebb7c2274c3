using System.Buffers;
using Backup.Storage.Streams;

namespace Backup.Storage.Compression;

/// <summary>
/// A write-only stream that compresses into <c>destination</c> with zstd's own C library (libzstd.so.1, which every
/// Debian and Ubuntu image has: dpkg itself needs it), the library the zstd command uses. It spends 15–20% less CPU than
/// ZstdSharp, the managed port, on pg_dump's archives (deploy/bench/README.md), and compression is most of the
/// dumper's work. Where the library can't be loaded, <see cref="Open"/> falls back to ZstdSharp: the same format,
/// level and checksum. Disposing it ends the frame; <c>destination</c> stays open.
/// </summary>
public sealed class NativeZstdCompression : WriteOnlyStream
{
    // ZSTD_cParameter and ZSTD_EndDirective in zstd.h (stable API since zstd 1.4.0).
    const int CompressionLevel = 100, ChecksumFlag = 201, Workers = 400, JobSize = 401;
    const int Continue = 0, End = 2;

    readonly Stream destination;
    readonly byte[] output = GC.AllocateUninitializedArray<byte>(1 << 17, pinned: true);
    nint context;

    NativeZstdCompression(nint context, Stream destination)
    {
        this.context = context;
        this.destination = destination;
    }

    /// <summary>
    /// A zstd frame with a content checksum (damage inside the compressed bytes is caught on decompression too),
    /// compressed at <paramref name="level"/> by <paramref name="workers"/> threads besides the writer's (0: in the
    /// writer's thread) in jobs of <paramref name="jobBytes"/>.
    /// </summary>
    public static Stream Open(Stream destination, int level, int workers, int jobBytes)
    {
        nint context;
        try
        {
            context = LibZstd.ZSTD_createCCtx();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return ManagedZstd(destination, level, workers, jobBytes);
        }
        if (context == 0) throw new OutOfMemoryException("zstd could not allocate a compression context.");

        var stream = new NativeZstdCompression(context, destination);
        stream.Set(CompressionLevel, level);
        stream.Set(ChecksumFlag, 1);
        if (workers > 0)
        {
            stream.Set(Workers, workers);
            stream.Set(JobSize, jobBytes);
        }
        return stream;
    }

    static Stream ManagedZstd(Stream destination, int level, int workers, int jobBytes)
    {
        var zstd = new ZstdSharp.CompressionStream(destination, level, leaveOpen: true);
        zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
        if (workers > 0)
        {
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
            zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_jobSize, jobBytes);
        }
        return zstd;
    }

    void Set(int parameter, int value)
    {
        var result = LibZstd.ZSTD_CCtx_setParameter(context, parameter, value);
        if (LibZstd.IsError(result))
        {
            Dispose();
            throw new InvalidOperationException($"zstd refused parameter {parameter} = {value}: {LibZstd.ErrorName(result)}.");
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(context == 0, this);
        using var pinned = buffer.Pin();
        nuint consumed = 0;
        while (consumed < (nuint)buffer.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var produced = Compress(pinned, (nuint)buffer.Length, ref consumed, Continue, out _);
            if (produced > 0) await destination.WriteAsync(output.AsMemory(0, produced), cancellationToken);
        }
    }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(context == 0, this);
        fixed (byte* source = buffer)
        {
            nuint consumed = 0;
            while (consumed < (nuint)buffer.Length)
            {
                var produced = Compress(source, (nuint)buffer.Length, ref consumed, Continue, out _);
                if (produced > 0) destination.Write(output, 0, produced);
            }
        }
    }

    unsafe int Compress(MemoryHandle source, nuint size, ref nuint consumed, int directive, out nuint left) =>
        Compress((byte*)source.Pointer, size, ref consumed, directive, out left);

    /// <summary>One call of ZSTD_compressStream2 into <see cref="output"/>; returns the bytes it produced there.</summary>
    unsafe int Compress(byte* source, nuint size, ref nuint consumed, int directive, out nuint left)
    {
        fixed (byte* target = output)
        {
            var input = new LibZstd.Buffer { Pointer = source, Size = size, Position = consumed };
            var result = new LibZstd.Buffer { Pointer = target, Size = (nuint)output.Length };
            left = LibZstd.ZSTD_compressStream2(context, &result, &input, directive);
            if (LibZstd.IsError(left)) throw new IOException($"zstd failed to compress: {LibZstd.ErrorName(left)}.");
            consumed = input.Position;
            return (int)result.Position;
        }
    }

    /// <summary>One step of ending the frame; <paramref name="left"/> is 0 once it is all out.</summary>
    unsafe int EndStep(out nuint left)
    {
        nuint none = 0;
        return Compress((byte*)null, 0, ref none, End, out left);
    }

    /// <summary>Ends the frame: what the workers still hold, the last block and the checksum.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (context != 0)
        {
            try
            {
                nuint left;
                do
                {
                    var produced = EndStep(out left);
                    if (produced > 0) await destination.WriteAsync(output.AsMemory(0, produced));
                } while (left != 0);
            }
            finally
            {
                Free();
            }
        }
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && context != 0)
        {
            try
            {
                nuint left;
                do
                {
                    var produced = EndStep(out left);
                    if (produced > 0) destination.Write(output, 0, produced);
                } while (left != 0);
            }
            finally
            {
                Free();
            }
        }
        else Free();
        base.Dispose(disposing);
    }

    void Free()
    {
        if (context == 0) return;
        LibZstd.ZSTD_freeCCtx(context);
        context = 0;
    }

    ~NativeZstdCompression() => Free();

    public override bool CanWrite => context != 0;
}
