namespace Backup.Archive;

/// <summary>
/// Writes an archive read from a pipe as a file that <c>pg_restore -j</c> restores as fast as one pg_dump wrote to a
/// file itself: data chunks merged (<see cref="ArchiveRewriter"/>), then every data entry's offset written into the
/// table of contents, as pg_dump does when its output is seekable. A piped archive has no offsets, so without them each
/// pg_restore worker finds a table's data by reading the chunk headers of everything before it.
/// </summary>
public static class SeekableArchiveFile
{
    public static async Task<RewrittenArchive> WriteAsync(Stream archive, FileStream file, CancellationToken cancellationToken)
    {
        var written = await ArchiveRewriter.RewriteAsync(archive, (bytes, token) => file.WriteAsync(bytes, token),
            copyUnreadable: true, cancellationToken);
        if (!written.Rewritten) return written;

        var field = new byte[1 + written.Header.OffsetSize];
        foreach (var entry in written.Entries)
        {
            if (!written.DataBlockPositions.TryGetValue(entry.DumpId, out var position)) continue;
            field[0] = TableOfContents.OffsetSet;
            for (var i = 1; i < field.Length; i++, position >>= 8)
                field[i] = (byte)position;
            file.Seek(entry.OffsetFieldPosition, SeekOrigin.Begin);
            await file.WriteAsync(field, cancellationToken);
        }
        file.Seek(0, SeekOrigin.End);
        await file.FlushAsync(cancellationToken);
        return written;
    }
}
