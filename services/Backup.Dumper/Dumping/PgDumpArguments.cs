using Backup.Dumper.Options;

namespace Backup.Dumper.Dumping;

/// <summary>
/// pg_dump's argument list for one source: custom format without pg_dump's own compression (the dumper compresses
/// with zstd) to standard output, never prompting for a password (-w), in the snapshot the dumper exported, limited
/// to the source's critical schemas and tables. Every value was validated as a plain name when the options were
/// bound; each one is its own argument, never part of a shell string.
/// </summary>
public static partial class PgDumpArguments
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^[0-9A-F]{8}-[0-9A-F]{8}-[0-9]+\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SnapshotId();

    public static IReadOnlyList<string> For(SourceOptions source, string? snapshot = null)
    {
        if (snapshot is not null && !SnapshotId().IsMatch(snapshot))
            throw new ArgumentException("Not a snapshot id exported by PostgreSQL.", nameof(snapshot));
        var arguments = new List<string>
        {
            "--format=custom",
            "--compress=0",
            "--no-password",
            $"--host={source.Host}",
            $"--port={source.Port}",
            $"--username={source.Username}",
        };
        arguments.AddRange(source.IncludeSchemas.Select(s => $"--schema={s}"));
        arguments.AddRange(source.ExcludeSchemas.Select(s => $"--exclude-schema={s}"));
        arguments.AddRange(source.IncludeTables.Select(t => $"--table={t}"));
        arguments.AddRange(source.ExcludeTables.Select(t => $"--exclude-table={t}"));
        arguments.AddRange(source.ExcludeTableData.Select(t => $"--exclude-table-data={t}"));
        if (snapshot is not null) arguments.Add($"--snapshot={snapshot}");
        // Last, and after "--": a database name can't be read as an option, whatever it is.
        arguments.Add("--");
        arguments.Add(source.Database);
        return arguments;
    }

    /// <summary>One line of a pgpass file (host:port:database:username:password), with ':' and '\' escaped.</summary>
    public static string PgPassLine(SourceOptions source) =>
        string.Join(':', new[] { source.Host, source.Port.ToString(), source.Database, source.Username, source.Password }
            .Select(field => field.Replace(@"\", @"\\").Replace(":", @"\:")));
}
