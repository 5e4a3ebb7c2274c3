namespace Backup.Archive;

/// <summary>
/// What one pass over an archive found: its header and table of contents, the rows of every TABLE DATA entry (by dump
/// id), where each data block starts in the rewritten archive, and the bytes read and written. <see cref="Rewritten"/>
/// is false when the archive was copied unchanged because its data can't be read (<see cref="ArchiveHeader.UnreadableBecause"/>).
/// </summary>
public sealed record RewrittenArchive(
    ArchiveHeader Header,
    IReadOnlyList<TocEntry> Entries,
    IReadOnlyDictionary<int, long> RowsByDumpId,
    IReadOnlyDictionary<int, long> DataBlockPositions,
    long BytesRead,
    long BytesWritten,
    long ChunksRead,
    long ChunksWritten,
    bool Rewritten)
{
    /// <summary>"schema.name" of every table the archive defines.</summary>
    public IReadOnlySet<string> Tables =>
        Entries.Where(e => e.IsTable).Select(e => e.QualifiedName).ToHashSet(StringComparer.Ordinal);

    /// <summary>"schema.name" of every table whose rows the archive holds.</summary>
    public IReadOnlySet<string> TablesWithData =>
        Entries.Where(e => e.IsTableData).Select(e => e.QualifiedName).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every table whose rows the archive holds, in the archive's order, with its row count.</summary>
    public IReadOnlyList<(string Schema, string Name, long Rows)> TableRows =>
        Entries.Where(e => e.IsTableData).Select(e => (e.Namespace ?? "", e.Tag, RowsByDumpId[e.DumpId])).ToList();
}
