using System.Globalization;
using System.Text.RegularExpressions;

namespace Backup.Recovery.Postgres;

/// <summary>What pg_restore --verbose writes to standard error as it goes (messages as in PostgreSQL 12 to 17, untranslated).</summary>
public static partial class PgRestoreOutput
{
    [GeneratedRegex(@"^pg_restore: finished item (\d+) TABLE DATA ", RegexOptions.CultureInvariant)]
    private static partial Regex FinishedTableDataLine();

    [GeneratedRegex(@"^pg_restore: (?!error:|warning:|detail:|hint:|from TOC entry )", RegexOptions.CultureInvariant)]
    private static partial Regex ProgressLine();

    /// <summary>
    /// The dump id of a TABLE DATA item a -j worker has finished, or null. In parallel mode the item's COPY is
    /// committed before pg_restore says so.
    /// </summary>
    public static int? FinishedTableData(string line) =>
        FinishedTableDataLine().Match(line) is { Success: true } match
            ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture)
            : null;

    /// <summary>Whether a line is one of --verbose's progress lines, not part of a warning or error.</summary>
    public static bool IsProgress(string line) => ProgressLine().IsMatch(line);
}
