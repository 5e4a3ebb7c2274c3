using System.IO.Pipes;
using System.Runtime.InteropServices;
using Backup.Storage.Streams;

namespace Backup.Dumper.Dumping;

/// <summary>
/// pg_dump's output, read with plain blocking reads on the thread that asks. pg_dump writes its archive in 4 KiB pieces
/// (about 27,000 for the 110 MB archive of the benchmark's scale 8), and each piece can wake the reader. An asynchronous
/// read of a pipe waits in .NET's socket engine: every wake-up went from its epoll thread to a thread-pool thread,
/// and switching threads was about a fifth of the dumper's CPU in a profile of a dump (deploy/bench/README.md). Read
/// blocking, a wake-up is the reading thread's alone; it holds a thread-pool thread for as long as the dump runs.
/// A cancellation token can't interrupt a blocking read: whoever cancels stops pg_dump, and the read ends.
/// </summary>
sealed class BlockingReads(Stream pipe) : ReadOnlyStream
{
    /// <summary>The pipe's capacity asked for: Linux's default maximum for an unprivileged process (fs/pipe-max-size).</summary>
    const int PipeBytes = 1 << 20;

    const int SetPipeSize = 1031; // F_SETPIPE_SZ in <fcntl.h>

    /// <summary>
    /// Reads <paramref name="pipe"/> (pg_dump's standard output), first asking the kernel to let it hold 1 MiB instead
    /// of 64 KiB: pg_dump then goes on writing while the reader is busy compressing, and the next read takes many of
    /// its 4 KiB pieces at once instead of being woken for each. Where that is refused (not Linux, or a lower
    /// pipe-max-size), the pipe stays as it was.
    /// </summary>
    public static BlockingReads Of(Stream pipe)
    {
        if (OperatingSystem.IsLinux() && pipe is PipeStream { SafePipeHandle: { IsInvalid: false } handle })
        {
            try
            {
                _ = fcntl((int)handle.DangerousGetHandle(), SetPipeSize, PipeBytes);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Not glibc: the pipe keeps its size.
            }
        }
        return new BlockingReads(pipe);
    }

    // DllImport, not LibraryImport, as in MallocSettings: int arguments need no marshalling.
    [DllImport("libc.so.6", ExactSpelling = true)]
#pragma warning disable SYSLIB1054
    static extern int fcntl(int fd, int command, int argument);
#pragma warning restore SYSLIB1054

    public override int Read(Span<byte> buffer) => pipe.Read(buffer);
}
