using System.Security.Cryptography;
using System.Text;
using Backup.IntegrationTests.Infrastructure;
using Npgsql;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// A dumper whose settings, secrets included, all come as environment variables (no secrets folder): the pg_dump it
/// starts, held by a lock on the source so it can be looked at, has in its /proc/PID/environ only the allowlist
/// (PATH, locale, TZ) and the PG* settings the dumper gives it, and none of the dumper's secrets.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_pg_dump_runs_under_a_dumper_with_secrets_in_its_environment(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly string[] PgSettings = ["PGPASSFILE", "PGAPPNAME", "PGCONNECT_TIMEOUT", "PGSSLMODE", "PGSSLROOTCERT"];
    readonly string marker = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    BackupSystem system = null!;
    Dictionary<string, string> environment = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var settings = system.Configuration("Backup.Dumper");
        settings["Smtp:Password"] = marker;

        await using var source = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase));
        await source.OpenAsync();
        await using (var hold = new NpgsqlCommand("BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", source))
            await hold.ExecuteNonQueryAsync();
        await using var dumper = await ServiceProcess.StartAsync("Backup.Dumper", settings, new HashSet<string>());
        await rabbit.RequestBackupAsync(Guid.NewGuid(), "demo");
        await Eventually.True(async () => await system.Postgres.ScalarAsync<long>(system.SourceDatabase,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'backup-dumper' AND wait_event_type = 'Lock'") == 1,
            "pg_dump to wait for the locked source table");
        var pgDump = await Eventually.Get(() => Task.FromResult(PgDumpChildOf(dumper.Id)), "the dumper's pg_dump");
        environment = (await File.ReadAllTextAsync($"/proc/{pgDump}/environ"))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");
        dumper.KillHard();
    }

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public void Its_environment_holds_only_the_allowlist_and_the_dumpers_PG_settings()
    {
        Assert.Contains("PATH", environment.Keys);
        Assert.Equal("backup-dumper", environment["PGAPPNAME"]);
        Assert.All(environment.Keys, name => Assert.True(
            name is "PATH" or "LANG" or "LANGUAGE" or "TZ" || name.StartsWith("LC_", StringComparison.Ordinal) || PgSettings.Contains(name),
            $"pg_dump got {name} from the dumper's environment"));
    }

    [Fact]
    public void It_holds_none_of_the_dumpers_secrets()
    {
        string[] secrets = [marker, system.SourcePassword, system.Broker.Password, system.ServiceConnectionString(Backup.Database.Security.CatalogGrants.Dumper), system.Postgres.Password];
        foreach (var value in environment.Values)
            Assert.DoesNotContain(secrets, secret => value.Contains(secret, StringComparison.Ordinal));
    }

    /// <summary>The pid of the dumping pg_dump (not "pg_dump --version") whose parent is <paramref name="parent"/>; null while there is none.</summary>
    static string? PgDumpChildOf(int parent)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(folder);
            if (!pid.All(char.IsAsciiDigit)) continue;
            try
            {
                var command = File.ReadAllText(Path.Combine(folder, "cmdline"), Encoding.UTF8).Split('\0');
                if (Path.GetFileName(command[0]) != "pg_dump" || command.Contains("--version")) continue;
                var parentLine = File.ReadLines(Path.Combine(folder, "status")).First(line => line.StartsWith("PPid:", StringComparison.Ordinal));
                if (parentLine["PPid:".Length..].Trim() == parent.ToString()) return pid;
            }
            catch (IOException) { } // the process ended while being read
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }
}
