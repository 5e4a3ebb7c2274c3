using Backup.Archive;
using Npgsql;

namespace Backup.Recovery.Loading;

/// <summary>A table's COPY with FREEZE, and the name to empty it by first (as the server quotes it).</summary>
sealed record FrozenCopy(string Target, string CopyStatement);

/// <summary>
/// Which COPY statements load a plain table of the new database, and so may load it frozen (<see cref="FrozenCopy"/>).
/// The target named in pg_dump's statement is compared with the server's own quoting of its plain tables (relkind
/// 'r'), read once per restore after the schema is in: a partitioned table (data loaded through the partition root), a
/// foreign table or a name quoted differently is loaded without FREEZE, as before.
/// </summary>
sealed class PlainTables
{
    const string CopyEnd = " FROM stdin;\n";

    readonly Lock gate = new();
    Task<HashSet<string>>? names;

    public async Task<FrozenCopy?> FreezeAsync(TocEntry table, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var statement = table.CopyStatement!;
        if (!statement.StartsWith("COPY ", StringComparison.Ordinal) || !statement.EndsWith(CopyEnd, StringComparison.Ordinal)) return null;
        Task<HashSet<string>> reading;
        lock (gate) reading = names ??= ReadAsync(connection, cancellationToken);
        var plain = await reading;
        var target = TargetOf(statement);
        return target is not null && plain.Contains(target)
            ? new FrozenCopy(target, statement[..^CopyEnd.Length] + " FROM stdin WITH (FREEZE)")
            : null;
    }

    /// <summary>"COPY &lt;target&gt; (&lt;columns&gt;) FROM stdin;": the target, up to the column list or FROM.</summary>
    static string? TargetOf(string statement)
    {
        var rest = statement["COPY ".Length..^CopyEnd.Length];
        // A quoted name may hold " (" or " FROM": skip quoted parts ("" inside them is a quote).
        var quoted = false;
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == '"') quoted = !quoted;
            else if (!quoted && rest[i] == ' ') return rest[..i];
        }
        return quoted ? null : rest;
    }

    static async Task<HashSet<string>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c " +
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var plain = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken)) plain.Add(reader.GetString(0));
        return plain;
    }
}
