using Backup.Archive;
using Backup.Recovery.Postgres;

namespace Backup.Ctl.Postgres;

/// <summary>
/// The PostgreSQL server to restore into: --host, --port, --username, or PGHOST, PGPORT, PGUSER, or localhost, 5432
/// and the current user. The password is never a command-line value: it comes from --password-file, or from the
/// password file libpq would read (PGPASSFILE or ~/.pgpass); with none, the server must not ask for one. TLS:
/// --sslmode and --sslrootcert, or PGSSLMODE and PGSSLROOTCERT, as libpq reads them, or prefer; pg_restore gets
/// them from backupctl, as it gets nothing else of backupctl's environment.
/// </summary>
public static class CommandLineServer
{
    static readonly Dictionary<string, PgSslMode> LibpqModes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["disable"] = PgSslMode.Disable,
        ["prefer"] = PgSslMode.Prefer,
        ["require"] = PgSslMode.Require,
        ["verify-ca"] = PgSslMode.VerifyCA,
        ["verify-full"] = PgSslMode.VerifyFull,
    };

    /// <summary>TLS from --sslmode and --sslrootcert, else PGSSLMODE and PGSSLROOTCERT, else prefer without a root certificate.</summary>
    public static PgTls ResolveTls(string? sslMode, string? sslRootCert)
    {
        var (modeName, modeFrom) = sslMode is not null ? (sslMode, "--sslmode") : (NonEmpty("PGSSLMODE"), "PGSSLMODE");
        var (rootCert, rootCertFrom) = sslRootCert is not null ? (sslRootCert, "--sslrootcert") : (NonEmpty("PGSSLROOTCERT"), "PGSSLROOTCERT");
        var mode = PgSslMode.Prefer;
        if (modeName is not null && !LibpqModes.TryGetValue(modeName, out mode))
            throw CommandFailure.Usage($"{modeFrom} '{modeName}' is not one of {string.Join(", ", LibpqModes.Keys)}.");
        var tls = new PgTls(mode, rootCert ?? "");
        if (tls.Problems().FirstOrDefault() is ({ } key, { } problem))
            throw CommandFailure.Usage(key == "RootCertificateFile"
                ? $"{(rootCert is null ? "--sslrootcert" : rootCertFrom)} {problem} ({modeFrom} {tls.LibpqMode})"
                : $"{modeFrom} {problem}");
        return tls;
    }

    public static TargetServer Resolve(string? host, int? port, string? username, string? passwordFile, PgTls tls, Action<string>? warn)
    {
        host ??= NonEmpty("PGHOST") ?? "localhost";
        if (port is null && NonEmpty("PGPORT") is { } fromEnvironment)
            port = int.TryParse(fromEnvironment, out var parsed) ? parsed : throw CommandFailure.Usage($"PGPORT '{fromEnvironment}' is not a port number.");
        if (port is < 1 or > 65535) throw CommandFailure.Usage($"--port {port} is not a port number.");
        username ??= NonEmpty("PGUSER") ?? Environment.UserName;
        if (passwordFile is not null && !File.Exists(passwordFile))
            throw CommandFailure.Usage($"--password-file '{passwordFile}' does not exist.");
        var resolvedPort = port ?? 5432;
        // The first line of --password-file, or the matching pgpass entry; null when there is none.
        return new TargetServer(host, resolvedPort, username, database => passwordFile is not null
                ? SecretFiles.ReadFirstLine(passwordFile, "--password-file")
                : PgPassFile.Default() is { } pgpass ? PgPassFile.Lookup(pgpass, host, resolvedPort, database, username, warn) : null,
            BackupCtl.Caller.Name) { Tls = tls };
    }

    static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
