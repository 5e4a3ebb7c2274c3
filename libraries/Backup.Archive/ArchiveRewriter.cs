using System.Buffers;

namespace Backup.Archive;

/// <summary>
/// One pass over a pg_dump custom-format archive (<c>--compress=0</c>) as it streams: the header and table of contents
/// are passed on unchanged; each data block's payload is passed on unchanged too, but in chunks of about
/// <see cref="ChunkBytes"/> instead of pg_dump's one chunk per row, and its rows are counted. Large-object blocks are
/// passed on as they are. The result is still a stock custom-format archive: pg_restore hands a data block's payload
/// to COPY in whatever pieces it finds, as it does for the compressed chunks of <c>pg_dump -Fc</c>.
/// </summary>
/// <remarks>
/// Rows are counted by <see cref="CopyRowCounter"/>. A block that does not end like COPY data, an archive that ends inside a block or before every entry's data, an unknown block type or dump id: all
/// fail with <see cref="InvalidDataException"/>, never a wrong count.
/// </remarks>
public static class ArchiveRewriter
{
    public const int ChunkBytes = 1 << 20;
    const byte DataBlock = 1, LargeObjectsBlock = 3;

    /// <summary>
    /// Reads <paramref name="archive"/> to its end, writing the rewritten archive to <paramref name="sink"/>. With
    /// <paramref name="copyUnreadable"/> an archive whose data this code can't read (another version, compressed data)
    /// is copied unchanged; without it that fails.
    /// </summary>
    public static async Task<RewrittenArchive> RewriteAsync(Stream archive, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        bool copyUnreadable, CancellationToken cancellationToken)
    {
        using var input = new ArchiveInput(archive, ChunkBytes) { Recording = new ArrayBufferWriter<byte>(64 * 1024) };
        var header = await ArchiveHeader.ReadAsync(input, cancellationToken);
        using var output = new ArchiveOutput((bytes, token) => sink(bytes, token), header.IntSize, ChunkBytes);
        if (!header.IsReadable)
        {
            if (!copyUnreadable)
                throw new InvalidDataException($"The archive can't be read: {header.UnreadableBecause}.");
            await CopyUnchangedAsync(input, output, cancellationToken);
            return new RewrittenArchive(header, [], new Dictionary<int, long>(), new Dictionary<int, long>(),
                input.BytesRead, output.Position, 0, 0, Rewritten: false);
        }

        var entries = await TableOfContents.ReadAsync(input, header, cancellationToken);
        await output.WriteAsync(input.Recording.WrittenMemory, cancellationToken);
        input.Recording = null;

        var byId = entries.ToDictionary(e => e.DumpId);
        var rows = new Dictionary<int, long>();
        var positions = new Dictionary<int, long>();
        long chunksRead = 0;
        while (await input.TryFillAsync(1, cancellationToken))
        {
            var blockStart = output.Position;
            await input.RequireAsync(1 + input.IntWidth, "a data block's header", cancellationToken);
            var type = input.Buffered[0];
            var dumpId = ArchiveInput.ParseInt(input.Buffered[1..], input.IntSize, "a data block's header", input.Position + 1);
            if (!byId.TryGetValue(dumpId, out var entry) || !entry.HasData)
                throw new InvalidDataException($"A data block at byte {input.Position:N0} belongs to dump id {dumpId}, which has no data in the table of contents: the archive is damaged.");
            if (!positions.TryAdd(dumpId, blockStart))
                throw new InvalidDataException($"The data of {entry.Desc} {entry.QualifiedName} appears twice: the archive is damaged.");
            await output.WriteAsync(input.BufferedMemory[..(1 + input.IntWidth)], cancellationToken);
            input.Advance(1 + input.IntWidth);

            switch (type)
            {
                case DataBlock:
                    chunksRead += await MergeChunksAsync(input, output, entry, cancellationToken);
                    if (entry.IsTableData)
                        rows[dumpId] = output.RowsOf(entry);
                    break;
                case LargeObjectsBlock:
                    await CopyLargeObjectsAsync(input, output, entry, cancellationToken);
                    break;
                default:
                    throw new InvalidDataException($"Unknown block type {type} at byte {input.Position:N0}: the archive is damaged.");
            }
        }

        var missing = entries.Where(e => e.HasData && !positions.ContainsKey(e.DumpId)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"The archive ends (at byte {input.BytesRead:N0}) before the data of {string.Join(", ", missing.Select(e => $"{e.Desc} {e.QualifiedName}"))}: it was cut short.");
        return new RewrittenArchive(header, entries, rows, positions, input.BytesRead, output.Position, chunksRead, output.Chunks, Rewritten: true);
    }

    /// <summary>The chunks of one data block, up to the zero length that ends it, gathered into big ones. Returns the chunks read.</summary>
    static async Task<long> MergeChunksAsync(ArchiveInput input, ArchiveOutput output, TocEntry entry, CancellationToken cancellationToken)
    {
        var what = $"the data of {entry.QualifiedName}";
        var width = input.IntWidth;
        long chunks = 0;
        output.BeginData();
        while (true)
        {
            // The common case, without awaiting: whole chunks already in the buffer that fit in the open output chunk.
            var used = 0;
            var buffered = input.Buffered;
            while (buffered.Length - used >= width)
            {
                var length = ArchiveInput.ParseInt(buffered[used..], input.IntSize, what, input.Position + used);
                if (length <= 0 || buffered.Length - used - width < length || !output.HasRoomFor(length)) break;
                output.Append(buffered.Slice(used + width, length));
                used += width + length;
                chunks++;
            }
            input.Advance(used);

            var next = await input.ReadIntAsync(what, cancellationToken);
            if (next == 0) break;
            if (next < 0) throw new InvalidDataException($"A chunk of {what} has length {next}: the archive is damaged.");
            chunks++;
            await PassAsync(input, output, next, asPayload: true, what, cancellationToken);
        }
        await output.EndDataAsync(cancellationToken);
        return chunks;
    }

    /// <summary>A large-objects block, unchanged: (oid, chunks ended by a zero length) repeated, ended by oid 0.</summary>
    static async Task CopyLargeObjectsAsync(ArchiveInput input, ArchiveOutput output, TocEntry entry, CancellationToken cancellationToken)
    {
        var what = $"the large objects of {entry.Tag}";
        while (await PassIntAsync(input, output, what, cancellationToken) != 0)
        {
            int length;
            while ((length = await PassIntAsync(input, output, what, cancellationToken)) != 0)
            {
                if (length < 0) throw new InvalidDataException($"A chunk of {what} has length {length}: the archive is damaged.");
                await PassAsync(input, output, length, asPayload: false, what, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The next <paramref name="length"/> bytes of the input, piece by piece as they are buffered: appended to the open
    /// data block's payload (<paramref name="asPayload"/>), or written on unchanged.
    /// </summary>
    static async ValueTask PassAsync(ArchiveInput input, ArchiveOutput output, int length, bool asPayload, string what,
        CancellationToken cancellationToken)
    {
        for (var left = length; left > 0;)
        {
            await input.RequireAsync(1, what, cancellationToken);
            var piece = input.BufferedMemory[..Math.Min(left, input.Buffered.Length)];
            if (asPayload) await output.AppendAsync(piece, cancellationToken);
            else await output.WriteAsync(piece, cancellationToken);
            input.Advance(piece.Length);
            left -= piece.Length;
        }
    }

    static async ValueTask<int> PassIntAsync(ArchiveInput input, ArchiveOutput output, string what, CancellationToken cancellationToken)
    {
        await input.RequireAsync(input.IntWidth, what, cancellationToken);
        var value = ArchiveInput.ParseInt(input.Buffered, input.IntSize, what, input.Position);
        await output.WriteAsync(input.BufferedMemory[..input.IntWidth], cancellationToken);
        input.Advance(input.IntWidth);
        return value;
    }

    static async Task CopyUnchangedAsync(ArchiveInput input, ArchiveOutput output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(input.Recording!.WrittenMemory, cancellationToken);
        input.Recording = null;
        while (await input.TryFillAsync(1, cancellationToken))
        {
            await output.WriteAsync(input.BufferedMemory, cancellationToken);
            input.Advance(input.Buffered.Length);
        }
    }
}
