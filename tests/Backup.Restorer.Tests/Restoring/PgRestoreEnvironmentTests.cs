using System.Security.Cryptography;
using Backup.Archive;
using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;

namespace Backup.Restorer.Tests.Restoring;

/// <summary>
/// The real pg_restore, started as the restorer starts it and left waiting for its archive on standard input: its
/// /proc/PID/environ holds only PATH, the locale, TZ and the PG* settings the restorer gives, not a secret of the
/// restorer's own environment.
/// </summary>
public class When_the_restorer_starts_pg_restore
{
    /// <summary>
    /// The real binaries' folder (infra.sh's BACKUP_PG_BIN), as deployments set Restore:PgBinDirectory: Debian's
    /// /usr/bin/pg_restore is a Perl wrapper that adds PGCLUSTER, PGHOST and more before it runs the real one.
    /// </summary>
    static readonly string PgBin = Environment.GetEnvironmentVariable("BACKUP_PG_BIN") ?? PgClientTools.DebianPostgres15Bin;

    [Fact]
    public async Task It_gets_an_allowlist_environment_without_the_restorers_secrets()
    {
        var name = "Restore__TestSecret" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Environment.SetEnvironmentVariable(name, secret);
        try
        {
            var tools = PgClientTools.Locate(PgBin, RestorerCaller.Instance);
            using var pgRestore = tools.StartPgRestore(["--list"], feedInput: true, passFile: "/nonexistent/pgpass");
            try
            {
                var environment = await EnvironmentOf(pgRestore.Id);

                Assert.Equal("backup-restorer", environment["PGAPPNAME"]);
                Assert.Equal("/nonexistent/pgpass", environment["PGPASSFILE"]);
                Assert.All(environment.Keys, key => Assert.True(
                    key is "PATH" or "LANG" or "LANGUAGE" or "TZ" or "PGAPPNAME" or "PGPASSFILE" or "PGCONNECT_TIMEOUT" || key.StartsWith("LC_", StringComparison.Ordinal),
                    $"pg_restore got {key} from the restorer's environment"));
                Assert.DoesNotContain(environment.Values, value => value.Contains(secret, StringComparison.Ordinal));
            }
            finally
            {
                pgRestore.Kill();
                await pgRestore.WaitForExitAsync();
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task It_gets_the_restore_servers_TLS_settings_and_not_the_restorers_own_PGSSL_variables()
    {
        Environment.SetEnvironmentVariable("PGSSLMODE", "disable");
        Environment.SetEnvironmentVariable("PGSSLROOTCERT", "/somewhere/else.crt");
        try
        {
            var tools = PgClientTools.Locate(PgBin, RestorerCaller.Instance);
            using var pgRestore = tools.StartPgRestore(["--list"], feedInput: true, passFile: "/nonexistent/pgpass",
                tls: new PgTls(PgSslMode.VerifyFull, "/etc/backup/restore-ca.crt"));
            using var listing = tools.StartPgRestore(["--list"], feedInput: true);
            try
            {
                var withTls = await EnvironmentOf(pgRestore.Id);
                var without = await EnvironmentOf(listing.Id);

                Assert.Equal("verify-full", withTls["PGSSLMODE"]);
                Assert.Equal("/etc/backup/restore-ca.crt", withTls["PGSSLROOTCERT"]);
                Assert.False(without.ContainsKey("PGSSLMODE"), "pg_restore got the restorer's own PGSSLMODE");
                Assert.False(without.ContainsKey("PGSSLROOTCERT"), "pg_restore got the restorer's own PGSSLROOTCERT");
            }
            finally
            {
                foreach (var process in new[] { pgRestore, listing })
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGSSLMODE", null);
            Environment.SetEnvironmentVariable("PGSSLROOTCERT", null);
        }
    }

    /// <summary>
    /// The environment pg_restore runs with: read once the child has exec'd pg_restore (its /proc/PID/exe), because
    /// between the fork and the exec /proc/PID/environ still shows the test host's own environment.
    /// </summary>
    static async Task<Dictionary<string, string>> EnvironmentOf(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Path.GetFileName(File.ResolveLinkTarget($"/proc/{pid}/exe", returnFinalTarget: false)?.FullName) != "pg_restore")
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Process {pid} did not exec pg_restore within 30 s.");
            await Task.Delay(10);
        }
        return (await File.ReadAllTextAsync($"/proc/{pid}/environ"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
    }
}
