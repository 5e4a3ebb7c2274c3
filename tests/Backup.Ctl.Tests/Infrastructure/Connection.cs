namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>The restore command's server options for the test run's PostgreSQL; never a password.</summary>
public static class Connection
{
    public static string[] To(PostgresServer postgres) =>
    [
        "--host", postgres.Host,
        "--port", postgres.Port.ToString(),
        "--username", postgres.Username,
        "--pg-bin", postgres.BinDirectory,
    ];
}
