using Npgsql;

namespace Backup.Ctl.Postgres;

/// <summary>
/// The PostgreSQL server to restore into: --host, --port, --username, or PGHOST, PGPORT, PGUSER, or localhost, 5432
/// and the current user. The password is never a command-line value: it comes from --password-file, or from the
/// password file libpq would read (PGPASSFILE or ~/.pgpass); with none, the server must not ask for one.
/// </summary>
public sealed class TargetServer
{
    readonly string? passwordFile;
    readonly Action<string>? warn;
    readonly Dictionary<string, string?> passwords = new(StringComparer.Ordinal);

    TargetServer(string host, int port, string username, string? passwordFile, Action<string>? warn)
    {
        Host = host;
        Port = port;
        Username = username;
        this.passwordFile = passwordFile;
        this.warn = warn;
    }

    public string Host { get; }

    public int Port { get; }

    public string Username { get; }

    public static TargetServer Resolve(string? host, int? port, string? username, string? passwordFile, Action<string>? warn)
    {
        host ??= NonEmpty("PGHOST") ?? "localhost";
        if (port is null && NonEmpty("PGPORT") is { } fromEnvironment)
            port = int.TryParse(fromEnvironment, out var parsed) ? parsed : throw CommandFailure.Usage($"PGPORT '{fromEnvironment}' is not a port number.");
        if (port is < 1 or > 65535) throw CommandFailure.Usage($"--port {port} is not a port number.");
        username ??= NonEmpty("PGUSER") ?? Environment.UserName;
        if (passwordFile is not null && !File.Exists(passwordFile))
            throw CommandFailure.Usage($"--password-file '{passwordFile}' does not exist.");
        return new TargetServer(host, port ?? 5432, username, passwordFile, warn);
    }

    public string Describe() => $"{Username}@{Host}:{Port}";

    /// <summary>The password for <paramref name="database"/>: the first line of --password-file, or the matching pgpass entry; null when there is none.</summary>
    public string? PasswordFor(string database)
    {
        if (passwords.TryGetValue(database, out var known)) return known;
        var password = passwordFile is not null
            ? SecretFiles.ReadFirstLine(passwordFile, "--password-file")
            : PgPassFile.Default() is { } pgpass ? PgPassFile.Lookup(pgpass, Host, Port, database, Username, warn) : null;
        passwords[database] = password;
        return password;
    }

    public NpgsqlConnection Connect(string database) => new(new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = Username,
        Password = PasswordFor(database),
        Database = database,
        Pooling = false,
        Timeout = 15,
        ApplicationName = "backupctl",
    }.ConnectionString);

    static string? NonEmpty(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
}
