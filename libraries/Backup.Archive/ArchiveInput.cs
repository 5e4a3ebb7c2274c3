using System.Buffers;

namespace Backup.Archive;

/// <summary>
/// pg_dump's archive as it arrives, read through one pooled buffer: bytes, pg_dump's integers (a sign byte, then
/// <see cref="IntSize"/> bytes, least significant first) and strings (an integer length, -1 for none, then the bytes).
/// Ending early is an <see cref="InvalidDataException"/> that says where. While <see cref="Recording"/> is set every
/// byte consumed is also appended to it (the header and table of contents are passed on unchanged that way).
/// </summary>
sealed class ArchiveInput(Stream stream, int bufferBytes) : IDisposable
{
    readonly byte[] buffer = ArchiveBuffers.Rent(bufferBytes);
    int start;
    int end;
    long bufferOrigin;

    /// <summary>Bytes consumed since the start of the archive.</summary>
    public long Position => bufferOrigin + start;

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead => bufferOrigin + end;

    public int IntSize { get; set; } = 4;

    /// <summary>Width of an integer in the archive: its sign byte and <see cref="IntSize"/> bytes.</summary>
    public int IntWidth => 1 + IntSize;

    public ArrayBufferWriter<byte>? Recording { get; set; }

    public ReadOnlySpan<byte> Buffered => buffer.AsSpan(start, end - start);
    public ReadOnlyMemory<byte> BufferedMemory => buffer.AsMemory(start, end - start);

    public void Advance(int count)
    {
        Recording?.Write(buffer.AsSpan(start, count));
        start += count;
    }

    /// <summary>At least <paramref name="count"/> bytes buffered (count ≤ the buffer); false when the stream ends first.</summary>
    public async ValueTask<bool> TryFillAsync(int count, CancellationToken cancellationToken)
    {
        if (end - start >= count) return true;
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            bufferOrigin += start;
            end -= start;
            start = 0;
        }
        while (end < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            if (read == 0) return false;
            end += read;
        }
        return true;
    }

    public async ValueTask RequireAsync(int count, string what, CancellationToken cancellationToken)
    {
        if (!await TryFillAsync(count, cancellationToken))
            throw new InvalidDataException($"The archive ends inside {what} (at byte {BytesRead:N0}): it was cut short.");
    }

    public async ValueTask<byte> ReadByteAsync(string what, CancellationToken cancellationToken)
    {
        await RequireAsync(1, what, cancellationToken);
        var value = buffer[start];
        Advance(1);
        return value;
    }

    public async ValueTask<int> ReadIntAsync(string what, CancellationToken cancellationToken)
    {
        await RequireAsync(IntWidth, what, cancellationToken);
        var value = ParseInt(Buffered, IntSize, what, Position);
        Advance(IntWidth);
        return value;
    }

    /// <summary>A string of the table of contents; null when the archive says none (length -1).</summary>
    public async ValueTask<string?> ReadStringAsync(string what, CancellationToken cancellationToken)
    {
        var length = await ReadIntAsync(what, cancellationToken);
        if (length == -1) return null;
        if (length < 0) throw new InvalidDataException($"Negative length {length} of {what} at byte {Position:N0}: the archive is damaged.");
        var bytes = new byte[length];
        var copied = 0;
        while (copied < length)
        {
            await RequireAsync(1, what, cancellationToken);
            var take = Math.Min(length - copied, end - start);
            Buffered[..take].CopyTo(bytes.AsSpan(copied));
            Advance(take);
            copied += take;
        }
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    /// <summary>pg_dump's ReadInt: a sign byte (0 or 1), then <paramref name="intSize"/> bytes, least significant first.</summary>
    public static int ParseInt(ReadOnlySpan<byte> bytes, int intSize, string what, long at)
    {
        var sign = bytes[0];
        ulong magnitude = 0;
        for (var i = intSize; i >= 1; i--)
            magnitude = (magnitude << 8) | bytes[i];
        if (sign > 1 || magnitude > int.MaxValue)
            throw new InvalidDataException($"Not an integer of a pg_dump archive in {what} at byte {at:N0}: the archive is damaged.");
        return sign == 0 ? (int)magnitude : -(int)magnitude;
    }

    /// <summary>Writes <paramref name="value"/> the way pg_dump's WriteInt does.</summary>
    public static void WriteInt(Span<byte> destination, int value, int intSize)
    {
        destination[0] = value < 0 ? (byte)1 : (byte)0;
        var magnitude = (uint)Math.Abs(value);
        for (var i = 1; i <= intSize; i++, magnitude >>= 8)
            destination[i] = (byte)magnitude;
    }

    public void Dispose() => ArchiveBuffers.Return(buffer);
}
