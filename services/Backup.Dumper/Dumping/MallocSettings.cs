using System.Runtime.InteropServices;

namespace Backup.Dumper.Dumping;

/// <summary>
/// glibc malloc settings for a process that runs one dump after another, set once before the first dump (in code, so
/// that they hold wherever the service runs; an operator's MALLOC_* variable wins). zstd's buffers are native and
/// large (a few MB each) and are allocated and freed once per dump. By default glibc raises its mmap threshold to the
/// size of the largest block freed (up to 32 MB), so from the second dump on those buffers no longer get mappings of
/// their own that are returned when freed: they are carved out of the malloc arenas, which keep and fragment them,
/// and the peak RSS climbed 5–10 MB with every dump (deploy/bench/README.md, "Memory"). A fixed threshold of 128 KiB
/// (glibc's default, no longer adjusted) keeps large blocks mapped and returned; two arenas at most (as
/// MALLOC_ARENA_MAX=2) stop threads that come and go (zstd's workers) from each leaving a new arena behind.
/// </summary>
static class MallocSettings
{
    const int MmapThreshold = -3, ArenaMax = -8; // M_MMAP_THRESHOLD, M_ARENA_MAX in <malloc.h>
    static int applied;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref applied, 1) == 1 || !OperatingSystem.IsLinux()) return;
        try
        {
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null)
                _ = mallopt(MmapThreshold, 128 * 1024);
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null)
                _ = mallopt(ArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl has no such tuning): nothing to set.
        }
    }

    // DllImport, not LibraryImport: two int arguments need no marshalling, and the project has no unsafe code.
    [DllImport("libc.so.6", ExactSpelling = true)]
#pragma warning disable SYSLIB1054
    static extern int mallopt(int parameter, int value);
#pragma warning restore SYSLIB1054
}
