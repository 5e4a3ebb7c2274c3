using System.Text.RegularExpressions;

namespace Backup.Recovery.Postgres;

/// <summary>
/// The target database's name: a plain lower-case identifier, so it means the same unquoted in SQL, as pg_restore's
/// --dbname (which would read "a=b" as connection settings) and in a pgpass line. Never one of the server's own.
/// </summary>
public static partial class DatabaseNames
{
    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainIdentifier();

    static readonly string[] ServerDatabases = ["postgres", "template0", "template1"];

    /// <summary>What is wrong with <paramref name="name"/> as a target database (naming it as <see cref="RecoveryCaller.TargetDatabase"/>), or null.</summary>
    public static string? Problem(string? name, RecoveryCaller caller) =>
        name is null || !PlainIdentifier().IsMatch(name)
            ? $"{caller.TargetDatabase} '{name}' is not a plain identifier: use lower-case letters, digits and '_', starting with a letter or '_', at most 63 characters."
            : ServerDatabases.Contains(name)
                ? $"{caller.TargetDatabase} '{name}' is one of the server's own databases; restore into a new database."
                : null;

    /// <summary>The name, or <see cref="RecoveryErrorCode.InvalidRequest"/> saying what is wrong with it.</summary>
    public static string Validate(string? name, RecoveryCaller caller) =>
        Problem(name, caller) is { } problem ? throw new RecoveryException(RecoveryErrorCode.InvalidRequest, problem) : name!;

    /// <summary>A name or identifier quoted for SQL: "name", with any '"' doubled.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
