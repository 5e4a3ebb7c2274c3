using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Backup.Archive;
using Npgsql;

namespace Backup.Recovery.Drills;

/// <summary>
/// Checks a restored database against the archive's table of contents: every schema, table, view, materialized view,
/// sequence, index, constraint, trigger, type, domain, function and procedure the archive holds exists, and every
/// sequence stands at the value the dump recorded (its SEQUENCE SET entry). Names travel as query parameters only.
/// </summary>
public static partial class RestoredObjects
{
    /// <summary>The kinds of entry whose object is looked for.</summary>
    public static readonly IReadOnlySet<string> Checked = new HashSet<string>(StringComparer.Ordinal)
    {
        "SCHEMA", "TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "INDEX", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT",
        "TRIGGER", "TYPE", "DOMAIN", "FUNCTION", "PROCEDURE",
    };

    // One line per entry: kind, schema, name, separated by tabs (names with a tab or line break are not checked).
    // pg_dump tags a constraint or trigger "<table> <name>", a function "<name>(<argument types>)" with types named as
    // format_type names them under an empty search_path, which this session sets too.
    const string MissingSql = """
        SELECT k, s, n FROM (
            SELECT split_part(line, E'\t', 1) AS k, split_part(line, E'\t', 2) AS s, split_part(line, E'\t', 3) AS n
            FROM regexp_split_to_table($1, E'\n') AS line) e
        WHERE NOT CASE k
            WHEN 'SCHEMA' THEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = n)
            WHEN 'TABLE' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                      WHERE ns.nspname = s AND c.relname = n AND c.relkind IN ('r', 'p', 'f'))
            WHEN 'VIEW' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                     WHERE ns.nspname = s AND c.relname = n AND c.relkind = 'v')
            WHEN 'MATERIALIZED VIEW' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                                  WHERE ns.nspname = s AND c.relname = n AND c.relkind = 'm')
            WHEN 'SEQUENCE' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                         WHERE ns.nspname = s AND c.relname = n AND c.relkind = 'S')
            WHEN 'INDEX' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                      WHERE ns.nspname = s AND c.relname = n AND c.relkind IN ('i', 'I'))
            WHEN 'TRIGGER' THEN EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                                        JOIN pg_namespace ns ON ns.oid = c.relnamespace
                                        WHERE ns.nspname = s AND c.relname || ' ' || t.tgname = n)
            WHEN 'TYPE' THEN EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace ns ON ns.oid = t.typnamespace
                                     WHERE ns.nspname = s AND t.typname = n)
            WHEN 'DOMAIN' THEN EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace ns ON ns.oid = t.typnamespace
                                       WHERE ns.nspname = s AND t.typname = n AND t.typtype = 'd')
            WHEN 'FUNCTION' THEN EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
                                         WHERE ns.nspname = s AND p.prokind IN ('f', 'w')
                                           AND p.proname || '(' || array_to_string(ARRAY(
                                               SELECT format_type(a, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY AS u(a, i) ORDER BY i), ', ') || ')' = n)
            WHEN 'PROCEDURE' THEN EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
                                          WHERE ns.nspname = s AND p.prokind = 'p'
                                            AND p.proname || '(' || array_to_string(ARRAY(
                                                SELECT format_type(a, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY AS u(a, i) ORDER BY i), ', ') || ')' = n)
            ELSE EXISTS (SELECT 1 FROM pg_constraint co
                         LEFT JOIN pg_class c ON c.oid = co.conrelid
                         LEFT JOIN pg_type t ON t.oid = co.contypid
                         JOIN pg_namespace ns ON ns.oid = co.connamespace
                         WHERE ns.nspname = s AND COALESCE(c.relname, t.typname) || ' ' || co.conname = n)
        END
        """;

    /// <summary>"kind schema.name" of every checked entry of <paramref name="entries"/> that the database lacks.</summary>
    public static async Task<IReadOnlyList<string>> MissingAsync(NpgsqlConnection restored, IReadOnlyList<TocEntry> entries,
        CancellationToken cancellationToken)
    {
        var lines = new StringBuilder();
        foreach (var entry in entries.Where(e => Checked.Contains(e.Desc)))
        {
            if (entry.Tag.AsSpan().IndexOfAny('\t', '\n') >= 0 || (entry.Namespace ?? "").AsSpan().IndexOfAny('\t', '\n') >= 0) continue;
            if (lines.Length > 0) lines.Append('\n');
            lines.Append(entry.Desc).Append('\t').Append(entry.Namespace ?? "").Append('\t').Append(entry.Tag);
        }
        if (lines.Length == 0) return [];

        await using (var path = new NpgsqlCommand("SELECT pg_catalog.set_config('search_path', '', false)", restored))
            await path.ExecuteNonQueryAsync(cancellationToken);
        await using var command = new NpgsqlCommand(MissingSql, restored);
        command.Parameters.Add(new NpgsqlParameter { Value = lines.ToString() });
        var missing = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var (kind, schema, name) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            missing.Add(schema.Length > 0 && kind != "SCHEMA" ? $"{kind.ToLowerInvariant()} {schema}.{name}" : $"{kind.ToLowerInvariant()} {name}");
        }
        return missing;
    }

    /// <summary>A sequence's value as the dump set it: setval's regclass literal, its value, and whether it was called.</summary>
    public sealed record DumpedSequence(string Name, long Value, bool IsCalled);

    [GeneratedRegex(@"setval\('((?:[^']|'')+)',\s*(-?\d+),\s*(true|false)\)", RegexOptions.CultureInvariant)]
    private static partial Regex SetVal();

    /// <summary>The sequences' dumped values, from the SEQUENCE SET entries' setval calls.</summary>
    public static IReadOnlyList<DumpedSequence> DumpedSequences(IReadOnlyList<TocEntry> entries) =>
    [
        .. entries.Where(e => e.Desc == "SEQUENCE SET" && e.Definition is not null)
            .Select(e => SetVal().Match(e.Definition!))
            .Where(m => m.Success)
            .Select(m => new DumpedSequence(m.Groups[1].Value.Replace("''", "'"),
                long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Value == "true")),
    ];

    /// <summary>"sequence S is at …, the dump recorded …" for every sequence not at its dumped value.</summary>
    public static async Task<IReadOnlyList<string>> SequencesOffAsync(NpgsqlConnection restored, IReadOnlyList<DumpedSequence> sequences,
        CancellationToken cancellationToken)
    {
        var off = new List<string>();
        foreach (var sequence in sequences)
        {
            // pg_sequence_last_value: the last value when it was called, null when not (setval(…, false) or never used).
            await using var command = new NpgsqlCommand(
                "SELECT pg_catalog.to_regclass($1) IS NOT NULL, pg_catalog.pg_sequence_last_value(pg_catalog.to_regclass($1))::text", restored);
            command.Parameters.Add(new NpgsqlParameter { Value = sequence.Name });
            string? value;
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(0))
                {
                    off.Add($"sequence {sequence.Name} is missing");
                    continue;
                }
                value = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
            catch (PostgresException e)
            {
                off.Add($"sequence {sequence.Name} can't be read: {e.MessageText}");
                continue;
            }
            var actual = value is string text ? long.Parse(text, CultureInfo.InvariantCulture) : (long?)null;
            var expected = sequence.IsCalled ? sequence.Value : (long?)null;
            if (actual != expected)
                off.Add($"sequence {sequence.Name} is at {Describe(actual)}, the dump recorded {Describe(expected, sequence.Value)}");
        }
        return off;
    }

    static string Describe(long? lastValue, long? notCalledValue = null) =>
        lastValue is { } value ? value.ToString(CultureInfo.InvariantCulture)
        : notCalledValue is { } next ? $"{next.ToString(CultureInfo.InvariantCulture)} not yet used" : "no value yet (never used)";
}
