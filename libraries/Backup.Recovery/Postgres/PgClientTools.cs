using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Backup.Archive;

namespace Backup.Recovery.Postgres;

/// <summary>
/// Where pg_restore is and how it starts: from the caller's bin folder setting when given; otherwise the one on PATH,
/// or failing that Debian's PostgreSQL 15 client folder. Always an argument list, never a shell; an allowlist
/// environment (<see cref="PgClientEnvironment"/>), the password only through a PGPASSFILE that this process wrote.
/// </summary>
public sealed class PgClientTools
{
    public const string DebianPostgres15Bin = "/usr/lib/postgresql/15/bin";

    readonly RecoveryCaller caller;

    PgClientTools(string pgRestore, RecoveryCaller caller)
    {
        PgRestore = pgRestore;
        this.caller = caller;
    }

    /// <summary>The full path of the pg_restore that runs.</summary>
    public string PgRestore { get; }

    /// <summary>
    /// pg_restore in <paramref name="pgBin"/>, or (empty) on PATH or in <see cref="DebianPostgres15Bin"/>. Fails with
    /// <see cref="RecoveryErrorCode.InvalidRequest"/> when the folder given has none, and
    /// <see cref="RecoveryErrorCode.RestoreFailed"/> when there is none anywhere.
    /// </summary>
    public static PgClientTools Locate(string? pgBin, RecoveryCaller caller)
    {
        if (!string.IsNullOrWhiteSpace(pgBin))
        {
            var given = Path.Combine(Path.GetFullPath(pgBin), "pg_restore");
            return File.Exists(given)
                ? new PgClientTools(given, caller)
                : throw new RecoveryException(RecoveryErrorCode.InvalidRequest,
                    $"{caller.PgBin} '{pgBin}' has no pg_restore in it; give the bin folder of a PostgreSQL client (e.g. {DebianPostgres15Bin}).");
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "pg_restore"))
            .FirstOrDefault(File.Exists);
        if (onPath is not null) return new PgClientTools(onPath, caller);
        var debian = Path.Combine(DebianPostgres15Bin, "pg_restore");
        if (File.Exists(debian)) return new PgClientTools(debian, caller);
        throw new RecoveryException(RecoveryErrorCode.RestoreFailed,
            $"No pg_restore on PATH nor in {DebianPostgres15Bin}. Install the PostgreSQL client (postgresql-client-15) or give {caller.PgBin} DIR.");
    }

    /// <summary>
    /// Starts pg_restore with its output and errors redirected, and standard input when <paramref name="feedInput"/>;
    /// one that connects gets the server's password file and TLS settings (PGSSLMODE, PGSSLROOTCERT).
    /// </summary>
    public Process StartPgRestore(IEnumerable<string> arguments, bool feedInput, string? passFile = null, PgTls? tls = null) =>
        Start(PgRestore, arguments, feedInput, passFile, tls);

    Process Start(string program, IEnumerable<string> arguments, bool feedInput, string? passFile, PgTls? tls)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = feedInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var settings = new Dictionary<string, string> { ["PGAPPNAME"] = caller.Name, ["PGCONNECT_TIMEOUT"] = "15" };
        if (passFile is not null) settings["PGPASSFILE"] = passFile;
        foreach (var (name, value) in tls?.LibpqSettings() ?? [])
            settings[name] = value;
        PgClientEnvironment.Apply(start, settings);
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        }
        catch (Win32Exception e)
        {
            throw new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"Could not run {program}: {e.Message}. Give the PostgreSQL client's bin folder with {caller.PgBin} DIR.");
        }
    }

    /// <summary>The last part of what a program wrote to standard error: where it says why it stopped.</summary>
    public static string Tail(string text) => text.Length <= 2000 ? text.Trim() : "…" + text[^2000..].Trim();
}
