using System.Buffers;

namespace Backup.Archive;

/// <summary>
/// Where the rewritten archive goes: bytes passed on unchanged, and the payload of data blocks gathered into chunks of
/// up to the buffer's size, each written as pg_dump writes one (an integer length, then the bytes). While a data block
/// is open it counts the newline bytes of its payload and keeps its last bytes, for the rows of COPY text.
/// </summary>
sealed class ArchiveOutput : IDisposable
{
    public delegate ValueTask Sink(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    readonly Sink sink;
    readonly int intWidth;
    readonly int intSize;
    readonly byte[] chunk;
    readonly int capacity;
    readonly CopyRowCounter rows = new();
    int length;

    public ArchiveOutput(Sink sink, int intSize, int chunkBytes)
    {
        this.sink = sink;
        this.intSize = intSize;
        intWidth = 1 + intSize;
        chunk = ArchiveBuffers.Rent(chunkBytes);
        capacity = chunk.Length - intWidth;
    }

    public long Position { get; private set; }
    public long Chunks { get; private set; }

    /// <summary>The rows of the open (or just ended) data block's COPY text; fails when it does not end like pg_dump's COPY data.</summary>
    public long RowsOf(TocEntry entry) => rows.RowsOf(entry);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        Position += bytes.Length;
        await sink(bytes, cancellationToken);
    }

    public void BeginData() => rows.Reset();

    public bool HasRoomFor(int count) => capacity - length >= count;

    /// <summary>Appends payload that <see cref="HasRoomFor"/> said fits.</summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(chunk.AsSpan(intWidth + length));
        length += payload.Length;
    }

    public async ValueTask AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (payload.Length > 0)
        {
            if (length == capacity) await FlushChunkAsync(cancellationToken);
            var take = Math.Min(payload.Length, capacity - length);
            Append(payload.Span[..take]);
            payload = payload[take..];
        }
    }

    /// <summary>Writes what is left of the block's payload and the zero length that ends a data block.</summary>
    public async ValueTask EndDataAsync(CancellationToken cancellationToken)
    {
        await FlushChunkAsync(cancellationToken);
        ArchiveInput.WriteInt(chunk, 0, intSize);
        await WriteAsync(chunk.AsMemory(0, intWidth), cancellationToken);
    }

    async ValueTask FlushChunkAsync(CancellationToken cancellationToken)
    {
        if (length == 0) return;
        var payload = chunk.AsSpan(intWidth, length);
        rows.Add(payload);
        ArchiveInput.WriteInt(chunk, length, intSize);
        Chunks++;
        await WriteAsync(chunk.AsMemory(0, intWidth + length), cancellationToken);
        length = 0;
    }

    public void Dispose() => ArchiveBuffers.Return(chunk);
}
