using System.Text.RegularExpressions;
using Backup.Recovery.Postgres;
using Backup.Storage;

namespace Backup.Recovery.Verification;

/// <summary>What reading an artifact's archive to the end showed.</summary>
public sealed record ArchiveFacts(long RawBytes, IReadOnlyList<string>? TablesWithData);

/// <summary>
/// The second check of an artifact, on its decoded bytes: they must decode to the end (no corrupt or cut zstd, no
/// failed integrity code), start like a pg_dump custom-format archive ("PGDMP"), be as long as the manifest says,
/// and have a table of contents that <c>pg_restore --list</c> reads, holding data for every table of the manifest.
/// The bytes are read once: pg_restore gets them on its standard input until it has read the table of contents and
/// left, and they can be copied on to a file at the same time (restore does, so that pg_restore can run with -j).
/// </summary>
public static partial class ArchiveCheck
{
    static readonly byte[] CustomFormatMagic = "PGDMP"u8.ToArray();
    const int BufferBytes = 1 << 20;

    [GeneratedRegex(@"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex TableDataEntry();

    /// <summary>
    /// Reads <paramref name="archive"/> (decoded bytes) to its end, writing them to <paramref name="copyTo"/> when given,
    /// and checks them; with <paramref name="tools"/> null the table of contents is not read. Fails with
    /// <see cref="RecoveryErrorCode.IntegrityCheckFailed"/> (or, for encrypted bytes, <see cref="RecoveryErrorCode.DecryptionFailed"/>)
    /// on the first problem.
    /// </summary>
    public static async Task<ArchiveFacts> RunAsync(Stream archive, ArtifactKey key, ArtifactManifest manifest, Stream? copyTo,
        PgClientTools? tools, CancellationToken cancellationToken)
    {
        using var toc = tools?.StartPgRestore(["--list"], feedInput: true);
        try
        {
            var listing = toc?.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = toc?.StandardError.ReadToEndAsync(cancellationToken);
            var raw = await CopyAsync(archive, key, toc?.StandardInput.BaseStream, copyTo, cancellationToken);

            if (manifest.RawSizeBytes > 0 && raw != manifest.RawSizeBytes)
                throw Damaged(
                    $"Wrong archive size: {key} decompresses to {raw:N0} bytes but its manifest says pg_dump wrote {manifest.RawSizeBytes:N0}. Do not restore it.");
            if (toc is null) return new ArchiveFacts(raw, null);

            await toc.WaitForExitAsync(cancellationToken);
            if (toc.ExitCode != 0)
                throw Damaged(
                    $"Unreadable archive: pg_restore --list rejected the archive in {key}: {PgClientTools.Tail(await errors!)}");
            var tables = TablesWithData(await listing!);
            RequireManifestTables(key, manifest, tables);
            return new ArchiveFacts(raw, tables);
        }
        finally
        {
            if (toc is not null && !toc.HasExited)
                toc.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Fails unless the archive holds data for every table of the manifest ("schema.name" in <paramref name="tablesWithData"/>).</summary>
    public static void RequireManifestTables(ArtifactKey key, ArtifactManifest manifest, IReadOnlyCollection<string> tablesWithData)
    {
        var missing = manifest.Tables.Select(t => $"{t.Schema}.{t.Name}").Except(tablesWithData, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw Damaged(
                $"Incomplete archive: the manifest of {key} lists {string.Join(", ", missing)}, but the archive's table of contents holds no data for {(missing.Count == 1 ? "it" : "them")}.");
    }

    /// <summary>The tables with data in an archive file, as <c>pg_restore --list</c> reads its table of contents.</summary>
    public static async Task<IReadOnlyList<string>> ListTablesWithDataAsync(PgClientTools tools, string archiveFile, ArtifactKey key,
        CancellationToken cancellationToken)
    {
        using var toc = tools.StartPgRestore(["--list", archiveFile], feedInput: false);
        var listing = toc.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = toc.StandardError.ReadToEndAsync(cancellationToken);
        await toc.WaitForExitAsync(cancellationToken);
        if (toc.ExitCode != 0)
            throw Damaged($"Unreadable archive: pg_restore --list rejected the archive in {key}: {PgClientTools.Tail(await errors)}");
        return TablesWithData(await listing);
    }

    static List<string> TablesWithData(string listing) =>
        TableDataEntry().Matches(listing).Select(m => $"{m.Groups[1].Value}.{m.Groups[2].Value}").ToList();

    static async Task<long> CopyAsync(Stream archive, ArtifactKey key, Stream? tableOfContents, Stream? copyTo,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        var head = new byte[CustomFormatMagic.Length];
        long raw = 0;
        var feeding = tableOfContents is not null;
        while (true)
        {
            int read;
            try
            {
                read = await archive.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (ArtifactDecoding.IsDecodingError(e))
            {
                throw ArtifactDecoding.Explain(e, key);
            }
            if (read == 0) break;

            if (raw < head.Length)
            {
                var take = (int)Math.Min(read, head.Length - raw);
                buffer.AsSpan(0, take).CopyTo(head.AsSpan((int)raw));
                if (raw + take == head.Length && !head.AsSpan().SequenceEqual(CustomFormatMagic))
                    throw NotAnArchive(key, head);
            }
            raw += read;
            if (feeding)
                feeding = await TryWriteAsync(tableOfContents!, buffer.AsMemory(0, read), cancellationToken);
            if (copyTo is not null)
                await copyTo.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        if (raw < head.Length)
            throw NotAnArchive(key, head.AsSpan(0, (int)raw).ToArray());
        if (feeding)
            await TryCloseAsync(tableOfContents!);
        return raw;
    }

    static RecoveryException NotAnArchive(ArtifactKey key, byte[] head) => Damaged(
        $"Not a pg_dump archive: {key} decodes to bytes starting with {(head.Length == 0 ? "nothing" : Convert.ToHexString(head))}, " +
        "not \"PGDMP\" (a pg_dump custom-format archive). It was not made by the dumper, or was damaged before it was hashed. Do not restore it.");

    static RecoveryException Damaged(string message) => new(RecoveryErrorCode.IntegrityCheckFailed, message);

    // pg_restore --list leaves once it has the table of contents: writing to it fails then, and that is expected.
    static async Task<bool> TryWriteAsync(Stream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(data, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    static async Task TryCloseAsync(Stream stream)
    {
        try { await stream.DisposeAsync(); } catch (IOException) { }
    }
}
