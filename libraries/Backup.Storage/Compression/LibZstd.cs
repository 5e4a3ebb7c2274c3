using System.Runtime.InteropServices;

namespace Backup.Storage.Compression;

/// <summary>
/// zstd's C library (libzstd.so.1, which every Debian and Ubuntu image has: dpkg itself needs it), through the part of
/// its stable API (zstd.h, since zstd 1.4.0) that <see cref="NativeZstdCompression"/> and
/// <see cref="NativeZstdDecompression"/> use. A call throws <see cref="DllNotFoundException"/> where it is missing.
/// </summary>
internal static class LibZstd
{
    const string Library = "libzstd.so.1";

    /// <summary>ZSTD_inBuffer and ZSTD_outBuffer, which have the same layout: where, how many bytes, how far used.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Buffer
    {
        public byte* Pointer;
        public nuint Size;
        public nuint Position;
    }

    public static bool IsError(nuint code) => ZSTD_isError(code) != 0;

    public static string ErrorName(nuint code) => Marshal.PtrToStringUTF8(ZSTD_getErrorName(code)) ?? $"error {code}";

    /// <summary>The ZSTD_ErrorCode of a result that <see cref="IsError"/>.</summary>
    public static int ErrorCode(nuint code) => ZSTD_getErrorCode(code);

#pragma warning disable SYSLIB1054 // DllImport: blittable arguments only, nothing to marshal
    [DllImport(Library, ExactSpelling = true)] public static extern nint ZSTD_createCCtx();
    [DllImport(Library, ExactSpelling = true)] public static extern nuint ZSTD_freeCCtx(nint context);
    [DllImport(Library, ExactSpelling = true)] public static extern nuint ZSTD_CCtx_setParameter(nint context, int parameter, int value);
    [DllImport(Library, ExactSpelling = true)] public static extern unsafe nuint ZSTD_compressStream2(nint context, Buffer* output, Buffer* input, int directive);
    [DllImport(Library, ExactSpelling = true)] public static extern nint ZSTD_createDCtx();
    [DllImport(Library, ExactSpelling = true)] public static extern nuint ZSTD_freeDCtx(nint context);
    [DllImport(Library, ExactSpelling = true)] public static extern unsafe nuint ZSTD_decompressStream(nint context, Buffer* output, Buffer* input);
    [DllImport(Library, ExactSpelling = true)] static extern uint ZSTD_isError(nuint code);
    [DllImport(Library, ExactSpelling = true)] static extern nint ZSTD_getErrorName(nuint code);
    [DllImport(Library, ExactSpelling = true)] static extern int ZSTD_getErrorCode(nuint code);
#pragma warning restore SYSLIB1054
}
