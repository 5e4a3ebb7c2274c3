namespace Backup.Archive;

/// <summary>
/// One entry of an archive's table of contents: its dump id, what it is ("TABLE", "TABLE DATA", "INDEX"…), its schema
/// and name, whether a data block belongs to it, and where in the archive its data offset is written (a flag byte,
/// then the offset), so that a copy written as a file can be told where its data blocks are. Also its section
/// (<see cref="TocSection"/>), the COPY statement of a TABLE DATA entry, and the definition of the ENCODING and SEQUENCE SET entries (a SEQUENCE
/// SET's is the setval call that sets the sequence to its dumped value).
/// </summary>
public sealed record TocEntry(int DumpId, string Desc, string? Namespace, string Tag, bool HasData, long OffsetFieldPosition,
    int Section = TocSection.None, string? CopyStatement = null, string? Definition = null)
{
    /// <summary>The dump ids of the entries this one depends on.</summary>
    public IReadOnlyList<int> Dependencies { get; init; } = [];

    public bool IsTableData => Desc == "TABLE DATA";
    public bool IsTable => Desc == "TABLE";

    /// <summary>"schema.name".</summary>
    public string QualifiedName => $"{Namespace}.{Tag}";
}

/// <summary>pg_dump's sections, as its archives number them.</summary>
public static class TocSection
{
    /// <summary>Comments, ACLs and the like: they belong to no section and can be restored once their object exists.</summary>
    public const int None = 1;
    public const int PreData = 2;
    public const int Data = 3;
    public const int PostData = 4;
}
