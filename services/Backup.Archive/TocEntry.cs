namespace Backup.Archive;

/// <summary>
/// One entry of an archive's table of contents: its dump id, what it is ("TABLE", "TABLE DATA", "INDEX"…), its schema
/// and name, whether a data block belongs to it, and where in the archive its data offset is written (a flag byte,
/// then the offset), so that a copy written as a file can be told where its data blocks are.
/// </summary>
public sealed record TocEntry(int DumpId, string Desc, string? Namespace, string Tag, bool HasData, long OffsetFieldPosition)
{
    public bool IsTableData => Desc == "TABLE DATA";
    public bool IsTable => Desc == "TABLE";

    /// <summary>"schema.name".</summary>
    public string QualifiedName => $"{Namespace}.{Tag}";
}
