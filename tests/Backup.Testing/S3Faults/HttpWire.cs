using System.Text;

namespace Backup.Testing.S3Faults;

/// <summary>The start line and headers of one HTTP/1.1 request or response, as they came over the wire.</summary>
public sealed record HttpHead(string StartLine, IReadOnlyList<(string Name, string Value)> Headers)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool HasToken(string name, string token) =>
        Header(name)?.Split(',').Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) == true;

    public bool Chunked => HasToken("Transfer-Encoding", "chunked");

    public long? ContentLength => Header("Content-Length") is { } value ? long.Parse(value) : null;

    /// <summary>"Connection: close" asked by either side, so the connection ends after this exchange.</summary>
    public bool Closes => HasToken("Connection", "close");

    /// <summary>The status of a response head.</summary>
    public int Status => int.Parse(StartLine.Split(' ')[1]);

    public byte[] ToBytes()
    {
        var text = new StringBuilder(StartLine).Append("\r\n");
        foreach (var (name, value) in Headers) text.Append(name).Append(": ").Append(value).Append("\r\n");
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }
}

/// <summary>
/// Reads HTTP/1.1 messages off one connection: heads line by line, bodies by Content-Length or chunked framing (the
/// aws-chunked encoding is Content-Length framed on the wire), with what is read ahead kept for the next message.
/// </summary>
public sealed class HttpWireReader(Stream stream)
{
    readonly byte[] buffer = new byte[64 * 1024];
    int start, end;

    /// <summary>The next head, or null when the peer closed the connection between messages.</summary>
    public async Task<HttpHead?> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var startLine = await ReadLineAsync(cancellationToken);
        if (startLine is null) return null;
        var headers = new List<(string, string)>();
        while (await ReadLineAsync(cancellationToken) is { Length: > 0 } line)
        {
            var colon = line.IndexOf(':');
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }
        return new HttpHead(startLine, headers);
    }

    /// <summary>
    /// Copies a body of <paramref name="length"/> bytes to <paramref name="destination"/>, handing each piece to
    /// <paramref name="tamper"/> first with its offset in the body: it may change the piece, and says how many of its
    /// bytes to forward; fewer than all stops the copy there and returns false.
    /// </summary>
    public async Task<bool> CopyAsync(long length, Stream destination, Func<long, Memory<byte>, int>? tamper, long bodyOffset,
        CancellationToken cancellationToken)
    {
        for (var copied = 0L; copied < length;)
        {
            if (start == end && !await FillAsync(cancellationToken))
                throw new IOException("The peer closed the connection mid-body.");
            var piece = buffer.AsMemory(start, (int)Math.Min(end - start, length - copied));
            var keep = tamper?.Invoke(bodyOffset + copied, piece) ?? piece.Length;
            await destination.WriteAsync(piece[..keep], cancellationToken);
            start += keep;
            copied += keep;
            if (keep < piece.Length) return false;
        }
        return true;
    }

    /// <summary>Copies everything up to the end of the stream (a response framed by closing the connection).</summary>
    public async Task CopyToEndAsync(Stream destination, CancellationToken cancellationToken)
    {
        do
        {
            await destination.WriteAsync(buffer.AsMemory(start, end - start), cancellationToken);
            start = end;
        }
        while (await FillAsync(cancellationToken));
    }

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (start == end && !await FillAsync(cancellationToken))
                return line.Length == 0 ? null : throw new IOException("The peer closed the connection mid-line.");
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            var stop = newline < 0 ? end : newline;
            line.Append(Encoding.Latin1.GetString(buffer, start, stop - start));
            start = stop;
            if (newline < 0) continue;
            start++;
            return line.ToString().TrimEnd('\r');
        }
    }

    async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        start = 0;
        end = await stream.ReadAsync(buffer, cancellationToken);
        return end > 0;
    }
}
