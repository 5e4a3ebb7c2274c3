using System.Security.Cryptography;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Npgsql;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// The source and the restore server (the test PostgreSQL, ssl=on with a certificate of infra.sh's throwaway CA)
/// configured with SslMode VerifyFull and that CA. The source's role and the restorer's role are members of
/// backup_tls_only, which the server turns away without TLS (infra.sh's first pg_hba rule): so every connection of
/// the backup (the dumper's session, pg_dump) and of the restore (the restorer's sessions, pg_restore) was over TLS.
/// The backup completes and the restorer restores the source's rows.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_source_and_the_restore_server_are_reached_over_verified_TLS(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    string restorerRole = null!;
    readonly string restorerPassword = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    BackupRun run = null!;
    RestoreOutcome restore = null!;
    string target = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        restorerRole = $"tls_restorer_{system.SourceDatabase["source_".Length..]}";
        await system.Postgres.ExecuteAsync("postgres",
            "DO $$ BEGIN CREATE ROLE backup_tls_only NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        await system.Postgres.ExecuteAsync("postgres", $"GRANT backup_tls_only TO \"{system.SourceRole}\"");
        await system.Postgres.ExecuteAsync("postgres",
            $"CREATE ROLE \"{restorerRole}\" LOGIN CREATEDB PASSWORD '{restorerPassword}' IN ROLE backup_tls_only");

        await system.StartCatalog();
        await system.StartDumper(settings =>
        {
            settings["Sources:demo:SslMode"] = "VerifyFull";
            settings["Sources:demo:RootCertificateFile"] = ServerCertificates.CaFile;
        });
        await system.StartRestorer(settings =>
        {
            settings["Restore:Username"] = restorerRole;
            settings["Restore:Password"] = restorerPassword;
            settings["Restore:SslMode"] = "VerifyFull";
            settings["Restore:RootCertificateFile"] = ServerCertificates.CaFile;
        });
        rabbit = await RawRabbit.ConnectAsync(system);
        var outcomes = await RestoreOutcomes.ListenAsync(rabbit);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        run = await Eventually.Get(async () => await system.RunAsync(runId) is { CurrentState: BackupRunStates.Completed or BackupRunStates.Failed } done ? done : null,
            $"run {runId} to end");
        if (run.ArtifactKey is null) return;

        target = system.NewDatabaseName();
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, run.ArtifactKey, target);
        restore = await outcomes.WaitAsync(restoreId);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync(); // drops the restored database first
        await system.Postgres.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS \"{restorerRole}\"");
    }

    [Fact]
    public async Task The_source_and_restorer_roles_are_refused_without_TLS()
    {
        foreach (var (role, password) in new[] { (system.SourceRole, system.SourcePassword), (restorerRole, restorerPassword) })
        {
            var plain = new NpgsqlConnectionStringBuilder(system.Postgres.ConnectionString("postgres", role, password)) { SslMode = SslMode.Disable };
            await using var connection = new NpgsqlConnection(plain.ConnectionString);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Contains("no encryption", refused.MessageText);
        }
    }

    [Fact]
    public void The_backup_completes()
    {
        Assert.True(run.CurrentState == BackupRunStates.Completed, $"{run.CurrentState}: {run.FailureCode} {run.FailureReason}");
    }

    [Fact]
    public async Task The_restorer_restores_every_row_of_the_source()
    {
        Assert.True(restore?.Completed, restore?.ToString() ?? $"no restore: the backup ended {run.CurrentState} {run.FailureReason}");
        var key = ArtifactKey.Parse(run.ArtifactKey!);
        var manifest = System.Text.Json.JsonSerializer.Deserialize<ArtifactManifest>(
            await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, key.ManifestPath)), ArtifactManifest.Contract)!;
        Assert.NotEmpty(manifest.Tables);
        foreach (var table in manifest.Tables)
        {
            var fingerprint = $"SELECT count(*)::text || ':' || md5(string_agg(t::text, ',' ORDER BY id)) FROM {table.Schema}.{table.Name} t";
            Assert.Equal(await system.Postgres.ScalarAsync<string>(system.SourceDatabase, fingerprint),
                await system.Postgres.ScalarAsync<string>(target, fingerprint));
        }
    }
}
