using System.Text;

namespace Backup.Storage.Tests.Compression;

/// <summary>What the compression tests compress: table data as pg_dump's COPY writes it.</summary>
static class CopyText
{
    /// <summary>
    /// ~9 MB of COPY-like rows: compressible, more than two 4 MiB compression jobs, and many times the decoder's 128 KiB
    /// input buffer.
    /// </summary>
    public static readonly byte[] NineMegabytes = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 120_000)
        .Select(i => $"{i}\t{i * 7919 % 100_000}\tcustomer-{i % 20_000:D5}\t{(i % 3 == 0 ? "shipped" : "paid")}\t{i * 31 % 977}\n")));
}
