namespace Backup.Archive;

/// <summary>
/// The rows of one table's COPY text as it passes: in COPY text format a newline byte only ever ends a row (newlines
/// inside values are written as "\n"), and pg_dump ends every table's data with "\.", a newline and two more; so
/// rows = newlines − 3, for data that ends with that trailer. It also finds any end-of-data line ("\." alone on a
/// line) before the trailer's: pg_dump escapes every backslash of a value, so there is none in its data, and one
/// there would end a COPY early and hand the rest to whatever reads the stream next.
/// </summary>
sealed class CopyRowCounter
{
    /// <summary>pg_dump's COPY data ends with "\.", a newline, and two more newlines.</summary>
    public static ReadOnlySpan<byte> CopyTrailer => "\\.\n\n\n"u8;

    readonly byte[] tail = new byte[5];
    int tailLength;
    long length;
    long endMarkers;
    long lastEndMarker = -1;

    /// <summary>Newline bytes seen since <see cref="Reset"/>.</summary>
    public long Newlines { get; private set; }

    /// <summary>Whether what was seen ends like pg_dump's COPY data.</summary>
    public bool EndsWithCopyTrailer => tailLength == CopyTrailer.Length && tail.AsSpan().SequenceEqual(CopyTrailer);

    /// <summary>Whether the only end-of-data line is the trailer's (checked when <see cref="Add"/> was given <c>findEndMarkers</c>).</summary>
    bool EndMarkerOnlyAtEnd => endMarkers == 1 && lastEndMarker == length - CopyTrailer.Length;

    public void Reset()
    {
        Newlines = 0;
        tailLength = 0;
        length = 0;
        endMarkers = 0;
        lastEndMarker = -1;
    }

    public void Add(ReadOnlySpan<byte> payload, bool findEndMarkers = false)
    {
        Newlines += payload.Count((byte)'\n');
        if (findEndMarkers) FindEndMarkers(payload);
        length += payload.Length;
        KeepTail(payload);
    }

    /// <summary>
    /// Counts the lines that are "\." alone (then a newline or a carriage return) in <paramref name="payload"/>, including
    /// those that start in the bytes before it (<see cref="tail"/>, which still holds them).
    /// </summary>
    void FindEndMarkers(ReadOnlySpan<byte> payload)
    {
        // Starting one or two bytes before this piece: stitched from the tail and this piece's first bytes.
        Span<byte> seam = stackalloc byte[6];
        var before = Math.Min(tailLength, 3);
        tail.AsSpan(tailLength - before, before).CopyTo(seam);
        var after = Math.Min(payload.Length, 2);
        payload[..after].CopyTo(seam[before..]);
        for (var start = Math.Max(0, before - 2); start < before; start++)
            if (start + 2 < before + after && IsEndMarkerAt(seam[..(before + after)], start, lineStart: start == 0 ? length - before == 0 : seam[start - 1] == '\n'))
                Found(length - before + start);

        for (var at = payload.IndexOf("\\."u8); at >= 0;)
        {
            var lineStart = at == 0 ? (tailLength == 0 || tail[tailLength - 1] == '\n') : payload[at - 1] == '\n';
            if (at + 2 < payload.Length && IsEndMarkerAt(payload, at, lineStart)) Found(length + at);
            var next = payload[(at + 1)..].IndexOf("\\."u8);
            at = next < 0 ? -1 : at + 1 + next;
        }
    }

    static bool IsEndMarkerAt(ReadOnlySpan<byte> bytes, int at, bool lineStart) =>
        lineStart && bytes[at] == '\\' && bytes[at + 1] == '.' && bytes[at + 2] is (byte)'\n' or (byte)'\r';

    void Found(long position)
    {
        endMarkers++;
        lastEndMarker = position;
    }

    void KeepTail(ReadOnlySpan<byte> payload)
    {
        if (payload.Length >= tail.Length)
        {
            payload[^tail.Length..].CopyTo(tail);
            tailLength = tail.Length;
            return;
        }
        var keep = Math.Min(tailLength, tail.Length - payload.Length);
        tail.AsSpan(tailLength - keep, keep).CopyTo(tail);
        payload.CopyTo(tail.AsSpan(keep));
        tailLength = keep + payload.Length;
    }

    /// <summary>The rows of the data seen since <see cref="Reset"/>; fails when it does not end like pg_dump's COPY data.</summary>
    public long RowsOf(TocEntry entry) =>
        EndsWithCopyTrailer
            ? Newlines - 3
            : throw new InvalidDataException(
                $"The data of {entry.QualifiedName} does not end like pg_dump's COPY data (\"\\.\" and three newlines): the archive is damaged, or was not written by pg_dump as COPY.");

    /// <summary>As <see cref="RowsOf"/>, and fails when an end-of-data line comes before the trailer (pieces added with <c>findEndMarkers</c>).</summary>
    public long CheckedRowsOf(TocEntry entry)
    {
        var rows = RowsOf(entry);
        return EndMarkerOnlyAtEnd
            ? rows
            : throw new InvalidDataException(
                $"The data of {entry.QualifiedName} holds an end-of-data line (\"\\.\") before its end: pg_dump never writes one there; the archive is damaged or was made to look like one.");
    }
}
