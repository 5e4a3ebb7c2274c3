using System.Text.RegularExpressions;

namespace Backup.Recovery.Postgres;

/// <summary>
/// What a failed pg_restore said, fit for a restore's reason: its own "pg_restore:" lines (the error and the
/// "from TOC entry … TABLE DATA customers" line naming the object), without the server's DETAIL, CONTEXT, HINT, LINE,
/// QUERY and "Command was:" lines that quote rows, and with a value the error message quotes at its end
/// (invalid input syntax for type integer: "…") replaced. The full text goes only to the caller's debug log.
/// </summary>
public static partial class PgRestoreErrors
{
    const int MaxLength = 2000;

    [GeneratedRegex(@":\s*""[^""]*""\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedValueAtEnd();

    /// <summary>pg_restore's own lines of <paramref name="standardError"/>, row data left out.</summary>
    public static string Summarize(string standardError)
    {
        var lines = standardError.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.StartsWith("pg_restore:", StringComparison.Ordinal))
            .Select(line => QuotedValueAtEnd().Replace(line, ": (value left out)"));
        var summary = string.Join(Environment.NewLine, lines);
        return summary.Length <= MaxLength ? summary : "…" + summary[^MaxLength..];
    }
}
