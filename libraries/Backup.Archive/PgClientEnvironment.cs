using System.Collections;
using System.Diagnostics;

namespace Backup.Archive;

/// <summary>
/// The environment pg_dump and pg_restore start with: an allowlist, never this process's own environment, where
/// secrets may be (connection strings, passwords given as variables). They get PATH, the locale (LANG, LANGUAGE,
/// LC_*) and TZ of this process, and the PG* settings the caller gives (PGPASSFILE, PGAPPNAME, PGCONNECT_TIMEOUT…);
/// no HOME, so libpq reads no ~/.pgpass nor ~/.pg_service.conf of the service's user.
/// </summary>
public static class PgClientEnvironment
{
    static readonly string[] Kept = ["PATH", "LANG", "LANGUAGE", "TZ"];

    /// <summary>Empties <paramref name="start"/>'s environment, then puts back the allowlist and <paramref name="pgSettings"/>.</summary>
    public static void Apply(ProcessStartInfo start, IEnumerable<KeyValuePair<string, string>> pgSettings)
    {
        start.Environment.Clear();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (IsKept(name)) start.Environment[name] = (string?)variable.Value;
        }
        foreach (var (name, value) in pgSettings)
        {
            if (!name.StartsWith("PG", StringComparison.Ordinal))
                throw new ArgumentException($"'{name}' is not a PostgreSQL client setting (PG…).", nameof(pgSettings));
            start.Environment[name] = value;
        }
    }

    /// <summary>Whether a variable of this process passes to the client programs.</summary>
    static bool IsKept(string name) =>
        Kept.Contains(name, StringComparer.Ordinal) || name.StartsWith("LC_", StringComparison.Ordinal);
}
