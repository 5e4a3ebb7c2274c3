namespace Backup.Archive;

/// <summary>
/// The header of a pg_dump custom-format archive: "PGDMP", the archive version (1.14 from pg_dump 12 to 15, 1.15 for
/// 16, 1.16 for 17), the sizes of its integers and offsets, the format and the compression of its data.
/// </summary>
public sealed record ArchiveHeader(int Major, int Minor, int Revision, int IntSize, int OffsetSize, int Format, int Compression)
{
    const int CustomFormat = 1;
    static readonly byte[] Magic = "PGDMP"u8.ToArray();

    /// <summary>The oldest and newest archive versions whose layout this code knows.</summary>
    public static readonly (int Major, int Minor) Oldest = (1, 14), Newest = (1, 16);

    public string Version => $"{Major}.{Minor}";
    int Ordinal => Major * 100 + Minor;

    /// <summary>Whether its data can be rewritten and its rows counted: a known version, custom format, uncompressed data.</summary>
    public bool IsReadable => UnreadableBecause is null;

    /// <summary>Why the data can't be read, or null.</summary>
    public string? UnreadableBecause =>
        Ordinal < Oldest.Major * 100 + Oldest.Minor || Ordinal > Newest.Major * 100 + Newest.Minor
            ? $"archive version {Version} is not one this code reads ({Oldest.Major}.{Oldest.Minor} to {Newest.Major}.{Newest.Minor})"
        : Format != CustomFormat ? $"archive format {Format} is not the custom format"
        : Compression != 0 ? "its data is compressed by pg_dump (the dumper runs pg_dump --compress=0)"
        : null;

    /// <summary>1.15 and later: the table of contents entries are as before; 1.16 adds each entry's relkind.</summary>
    internal bool HasRelKind => Ordinal >= 116;

    internal static async Task<ArchiveHeader> ReadAsync(ArchiveInput input, CancellationToken cancellationToken)
    {
        if (!await input.TryFillAsync(Magic.Length + 6, cancellationToken))
            throw new InvalidDataException(input.BytesRead == 0
                ? "The archive is empty."
                : $"The archive is {input.BytesRead} bytes long: too short for a pg_dump archive's header.");
        if (!input.Buffered[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException(
                $"Not a pg_dump custom-format archive: it starts with {Convert.ToHexString(input.Buffered[..Magic.Length])}, not \"PGDMP\".");
        input.Advance(Magic.Length);
        var major = await input.ReadByteAsync("the header", cancellationToken);
        var minor = await input.ReadByteAsync("the header", cancellationToken);
        var revision = await input.ReadByteAsync("the header", cancellationToken);
        var intSize = await input.ReadByteAsync("the header", cancellationToken);
        var offsetSize = await input.ReadByteAsync("the header", cancellationToken);
        var format = await input.ReadByteAsync("the header", cancellationToken);
        if (intSize is < 4 or > 8 || offsetSize is < 4 or > 8)
            throw new InvalidDataException($"The archive's header says integers of {intSize} bytes and offsets of {offsetSize}: it is damaged.");
        input.IntSize = intSize;
        var header = new ArchiveHeader(major, minor, revision, intSize, offsetSize, format, 0);
        if (header.Ordinal < 115 && header.Ordinal >= 104)
            header = header with { Compression = await input.ReadIntAsync("the header", cancellationToken) };
        else if (header.Ordinal >= 115)
            header = header with { Compression = await input.ReadByteAsync("the header", cancellationToken) };
        if (!header.IsReadable) return header;

        for (var i = 0; i < 7; i++) // the dump's time: sec, min, hour, mday, mon, year, isdst
            await input.ReadIntAsync("the header", cancellationToken);
        await input.ReadStringAsync("the header (database name)", cancellationToken);
        await input.ReadStringAsync("the header (server version)", cancellationToken);
        await input.ReadStringAsync("the header (pg_dump version)", cancellationToken);
        return header;
    }
}
