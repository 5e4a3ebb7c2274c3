using Backup.Dumper.Options;

namespace Backup.Dumper.Dumping;

/// <summary>
/// pg_dump's argument list for one source: custom format to standard output, never prompting for a password
/// (-w), limited to the source's critical schemas and tables. Every value was validated as a plain name when
/// the options were bound; each one is its own argument, never part of a shell string.
/// </summary>
public static class PgDumpArguments
{
    public static IReadOnlyList<string> For(SourceOptions source)
    {
        var arguments = new List<string>
        {
            "--format=custom",
            "--no-password",
            $"--host={source.Host}",
            $"--port={source.Port}",
            $"--username={source.Username}",
        };
        arguments.AddRange(source.IncludeSchemas.Select(s => $"--schema={s}"));
        arguments.AddRange(source.ExcludeSchemas.Select(s => $"--exclude-schema={s}"));
        arguments.AddRange(source.IncludeTables.Select(t => $"--table={t}"));
        arguments.AddRange(source.ExcludeTables.Select(t => $"--exclude-table={t}"));
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
