using Backup.Archive;
using Npgsql;

namespace Backup.Recovery.Postgres;

/// <summary>
/// The PostgreSQL server a restore goes to: host, port and role, and where the role's password comes from (asked
/// per database, once). backupctl resolves it from its options and libpq's variables and files; the restorer from
/// its Restore settings. The password reaches Npgsql in a connection string and pg_restore through a 0600
/// PGPASSFILE, never a command line.
/// </summary>
public sealed class TargetServer
{
    readonly Func<string, string?> passwordFor;
    readonly Dictionary<string, string?> passwords = new(StringComparer.Ordinal);
    readonly Dictionary<string, NpgsqlDataSource> dataSources = new(StringComparer.Ordinal);

    /// <param name="passwordFor">The password for a database, or null when the server asks for none.</param>
    /// <param name="applicationName">application_name of the connections this server's restores open.</param>
    /// <param name="maintenanceDatabase">The database to connect to for CREATE and DROP DATABASE.</param>
    public TargetServer(string host, int port, string username, Func<string, string?> passwordFor, string applicationName,
        string maintenanceDatabase = "postgres")
    {
        Host = host;
        Port = port;
        Username = username;
        this.passwordFor = passwordFor;
        ApplicationName = applicationName;
        MaintenanceDatabase = maintenanceDatabase;
    }

    public string Host { get; }

    public int Port { get; }

    public string Username { get; }

    public string ApplicationName { get; }

    public string MaintenanceDatabase { get; }

    /// <summary>TLS to this server, for Npgsql's connections and pg_restore's alike.</summary>
    public PgTls Tls { get; init; } = PgTls.Default;

    /// <summary>"host:port".</summary>
    public string Address => $"{Host}:{Port}";

    public string Describe() => $"{Username}@{Address}";

    /// <summary>The password for <paramref name="database"/>; null when there is none.</summary>
    public string? PasswordFor(string database)
    {
        lock (passwords)
        {
            if (passwords.TryGetValue(database, out var known)) return known;
            var password = passwordFor(database);
            passwords[database] = password;
            return password;
        }
    }

    /// <summary>A connection (not opened) to <paramref name="database"/>; <paramref name="commandTimeout"/> 0: none (a table's COPY can take long).</summary>
    public NpgsqlConnection Connect(string database, int commandTimeout = 30)
    {
        var settings = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = Username,
            Password = PasswordFor(database),
            Database = database,
            Pooling = false,
            Timeout = 15,
            CommandTimeout = commandTimeout,
            ApplicationName = ApplicationName,
        };
        Tls.ApplyTo(settings);
        var connectionString = settings.ConnectionString;
        // Npgsql's slim builder: only the basic types a restore reads (text, integers, booleans), so a fresh process
        // (backupctl) does not set up, and compile, every type Npgsql knows before its first connection; and TLS, which
        // the slim builder leaves out unless asked (without it, Prefer connects in plain text and VerifyFull fails).
        // Those built-in types are known to Npgsql without asking the server: no type-loading query on the first
        // connection to each database (the maintenance one, then the target just before its COPY sessions start).
        lock (dataSources)
        {
            if (!dataSources.TryGetValue(connectionString, out var dataSource))
                dataSources[connectionString] = dataSource = new NpgsqlSlimDataSourceBuilder(connectionString)
                    .EnableTransportSecurity()
                    .ConfigureTypeLoading(types => types.EnableTypeLoading(false))
                    .Build();
            return dataSource.CreateConnection();
        }
    }
}
