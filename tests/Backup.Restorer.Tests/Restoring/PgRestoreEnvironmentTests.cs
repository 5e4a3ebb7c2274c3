using System.Security.Cryptography;
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
    [Fact]
    public async Task It_gets_an_allowlist_environment_without_the_restorers_secrets()
    {
        var name = "Restore__TestSecret" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Environment.SetEnvironmentVariable(name, secret);
        try
        {
            var tools = PgClientTools.Locate(null, RestorerCaller.Instance);
            using var pgRestore = tools.StartPgRestore(["--list"], feedInput: true, passFile: "/nonexistent/pgpass");
            try
            {
                var environment = (await File.ReadAllTextAsync($"/proc/{pgRestore.Id}/environ"))
                    .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                    .Select(entry => entry.Split('=', 2))
                    .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");

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
}
