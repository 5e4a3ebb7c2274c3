using System.Buffers;

namespace Backup.Archive;

/// <summary>
/// The 1 MiB buffers of a pass over an archive (two per pass: what is read, the chunk being gathered), from a small
/// pool of their own. ArrayPool&lt;byte&gt;.Shared would keep one in every thread that returned one and up to eight per
/// core besides: a long-lived dumper's RSS grew by a few MB with every dump as its async steps landed on other
/// threads. This pool keeps at most <see cref="Kept"/> of them, whatever the threads.
/// </summary>
static class ArchiveBuffers
{
    const int Kept = 4;
    static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(ArchiveRewriter.ChunkBytes, Kept);

    public static byte[] Rent(int bytes) => Pool.Rent(bytes);

    public static void Return(byte[] buffer) => Pool.Return(buffer);
}
