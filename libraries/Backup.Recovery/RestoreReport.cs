using Backup.Recovery.Restore;
using Backup.Storage;

namespace Backup.Recovery;

/// <summary>What a restore that ran to its end did: every manifest table's expected and restored rows, and how long it took.</summary>
public sealed record RestoreReport(
    ArtifactKey Key,
    ArtifactManifest Manifest,
    string TargetDatabase,
    bool Recreated,
    IReadOnlyList<RowCount> Tables,
    TimeSpan Duration)
{
    /// <summary>The tables whose restored row count is not the manifest's (or that are missing).</summary>
    public IReadOnlyList<RowCount> Differing => [.. Tables.Where(table => !table.Matches)];

    public bool RowCountsMatch => Tables.All(table => table.Matches);
}
