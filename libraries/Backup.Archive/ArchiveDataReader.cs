using System.Buffers;

namespace Backup.Archive;

/// <summary>
/// Reads a pg_dump custom-format archive (<c>--compress=0</c>) as it streams, for loading it without a file: the header
/// and table of contents first (and their bytes, which are a valid archive on their own for pg_restore's schema steps),
/// then the data blocks one by one, each table's COPY text handed on in pieces of up to <see cref="ArchiveRewriter.ChunkBytes"/>
/// with its rows counted (<see cref="CopyRowCounter"/>). Anything damaged, cut short or unexpected fails with
/// <see cref="InvalidDataException"/>.
/// </summary>
public sealed class ArchiveDataReader : IDisposable
{
    const byte DataBlock = 1;
    readonly ArchiveInput input;
    readonly Stream? owned;
    readonly byte[] pending;
    readonly Dictionary<int, TocEntry> byId;
    readonly HashSet<int> seen = [];
    readonly CopyRowCounter rows = new();
    TocEntry? current;

    ArchiveDataReader(ArchiveInput input, Stream? owned, ArchiveHeader header, IReadOnlyList<TocEntry> entries, byte[] headerAndToc)
    {
        this.input = input;
        this.owned = owned;
        Header = header;
        Entries = entries;
        HeaderAndTableOfContents = headerAndToc;
        byId = entries.ToDictionary(e => e.DumpId);
        pending = ArchiveBuffers.Rent(ArchiveRewriter.ChunkBytes);
    }

    public ArchiveHeader Header { get; }

    /// <summary>The table of contents; empty when the header is not one this code reads (<see cref="ArchiveHeader.IsReadable"/>).</summary>
    public IReadOnlyList<TocEntry> Entries { get; }

    /// <summary>The archive's bytes up to its first data block.</summary>
    public ReadOnlyMemory<byte> HeaderAndTableOfContents { get; }

    /// <summary>Bytes of the archive read so far.</summary>
    public long BytesRead => input.BytesRead;

    /// <summary>
    /// Reads the header and, when its version and format are readable, the table of contents. With
    /// <paramref name="ownsStream"/> the reader disposes <paramref name="archive"/> when it is disposed.
    /// </summary>
    public static async Task<ArchiveDataReader> OpenAsync(Stream archive, CancellationToken cancellationToken, bool ownsStream = false)
    {
        var input = new ArchiveInput(archive, ArchiveRewriter.ChunkBytes) { Recording = new ArrayBufferWriter<byte>(64 * 1024) };
        try
        {
            var header = await ArchiveHeader.ReadAsync(input, cancellationToken);
            var entries = header.IsReadable ? await TableOfContents.ReadAsync(input, header, cancellationToken) : [];
            var bytes = input.Recording.WrittenSpan.ToArray();
            input.Recording = null;
            return new ArchiveDataReader(input, ownsStream ? archive : null, header, entries, bytes);
        }
        catch
        {
            input.Dispose();
            if (ownsStream) await archive.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The TABLE DATA entry whose block comes next, or null at the archive's end (having checked that every entry with
    /// data had its block). Only archives whose data entries are all TABLE DATA can be read this way.
    /// </summary>
    public async Task<TocEntry?> NextTableDataAsync(CancellationToken cancellationToken)
    {
        if (current is not null) throw new InvalidOperationException("The data of the current entry was not read.");
        if (!await input.TryFillAsync(1, cancellationToken))
        {
            var missing = Entries.Where(e => e.HasData && !seen.Contains(e.DumpId)).ToList();
            return missing.Count == 0
                ? null
                : throw new InvalidDataException(
                    $"The archive ends (at byte {input.BytesRead:N0}) before the data of {string.Join(", ", missing.Select(e => $"{e.Desc} {e.QualifiedName}"))}: it was cut short.");
        }
        await input.RequireAsync(1 + input.IntWidth, "a data block's header", cancellationToken);
        var type = input.Buffered[0];
        var dumpId = ArchiveInput.ParseInt(input.Buffered[1..], input.IntSize, "a data block's header", input.Position + 1);
        if (!byId.TryGetValue(dumpId, out var entry) || !entry.HasData)
            throw new InvalidDataException($"A data block at byte {input.Position:N0} belongs to dump id {dumpId}, which has no data in the table of contents: the archive is damaged.");
        if (type != DataBlock || !entry.IsTableData)
            throw new InvalidDataException($"The block at byte {input.Position:N0} ({entry.Desc} {entry.QualifiedName}, type {type}) is not a table's COPY data.");
        if (!seen.Add(dumpId))
            throw new InvalidDataException($"The data of {entry.Desc} {entry.QualifiedName} appears twice: the archive is damaged.");
        input.Advance(1 + input.IntWidth);
        return current = entry;
    }

    /// <summary>
    /// Hands the COPY text of the entry <see cref="NextTableDataAsync"/> returned to <paramref name="sink"/>, in pieces
    /// of up to <see cref="ArchiveRewriter.ChunkBytes"/> (the buffer is reused after the sink returns); returns its rows.
    /// Fails when the data holds an end-of-data line ("\.") before its end, which would end a COPY early.
    /// </summary>
    public async Task<long> CopyDataAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        var entry = current ?? throw new InvalidOperationException("No data block is open.");
        rows.Reset();
        var filled = 0;
        await ReadChunksAsync(entry, () => pending.Length - filled, async piece =>
        {
            piece.Span.CopyTo(pending.AsSpan(filled));
            filled += piece.Length;
            if (filled == pending.Length)
            {
                await PassAsync(filled);
                filled = 0;
            }
        }, cancellationToken);
        if (filled > 0) await PassAsync(filled);
        return rows.CheckedRowsOf(entry);

        async ValueTask PassAsync(int count)
        {
            rows.Add(pending.AsSpan(0, count), findEndMarkers: true);
            await sink(pending.AsMemory(0, count), cancellationToken);
        }
    }

    /// <summary>Reads past the data of the entry <see cref="NextTableDataAsync"/> returned, checking only its chunks' framing.</summary>
    public Task SkipDataAsync(CancellationToken cancellationToken) =>
        ReadChunksAsync(current ?? throw new InvalidOperationException("No data block is open."),
            () => int.MaxValue, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>
    /// The open block's chunks, up to the zero length that ends it, piece by piece as they are buffered (no piece
    /// longer than <paramref name="room"/> says): each given to <paramref name="piece"/> before the reader moves past it.
    /// </summary>
    async Task ReadChunksAsync(TocEntry entry, Func<int> room, Func<ReadOnlyMemory<byte>, ValueTask> piece, CancellationToken cancellationToken)
    {
        var what = $"the data of {entry.QualifiedName}";
        while (true)
        {
            var length = await input.ReadIntAsync(what, cancellationToken);
            if (length == 0) break;
            if (length < 0) throw new InvalidDataException($"A chunk of {what} has length {length}: the archive is damaged.");
            for (var left = length; left > 0;)
            {
                await input.RequireAsync(1, what, cancellationToken);
                var take = Math.Min(Math.Min(left, input.Buffered.Length), room());
                await piece(input.BufferedMemory[..take]);
                input.Advance(take);
                left -= take;
            }
        }
        current = null;
    }

    public void Dispose()
    {
        input.Dispose();
        owned?.Dispose();
        ArchiveBuffers.Return(pending);
    }
}
