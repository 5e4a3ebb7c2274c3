using System.Net.Http.Json;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Verification;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Restorer.Drills;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Drills;

/// <summary>
/// Restore drills on the real broker, catalog and store, with the real pg_dump and pg_restore: every backup of the demo
/// source is restored by the restorer into a scratch database on a second PostgreSQL server that has none of the
/// source's roles (a disaster-recovery server), and proven there: exact row counts against the manifest, every object
/// of the archive, sequence values, the source's own checks. The catalog records each verification beside the run.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_backups_are_drilled(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    RecordedMetrics metrics = null!;

    PostgresEndpoint DrillServer => infrastructure.BarePostgres;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        metrics?.Dispose();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    /// <summary>The restorer, drilling onto the bare server as its superuser, with the given extra settings.</summary>
    async Task StartDrillingRestorerAsync(params (string Key, string Value)[] settings)
    {
        metrics = new RecordedMetrics(await system.StartRestorer(configure: c =>
        {
            c.DrillOnto(DrillServer);
            foreach (var (key, value) in settings) c[key] = value;
        }));
    }

    async Task<Guid> BackUpAsync()
    {
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        await system.WaitForStateAsync(runId, BackupRunStates.Completed);
        return runId;
    }

    async Task<BackupVerification> WaitForVerificationAsync(Guid runId, params string[] states) =>
        await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            var verification = await catalog.BackupVerifications.AsNoTracking().SingleOrDefaultAsync(v => v.RunId == runId);
            return verification is not null && states.Contains(verification.State) ? verification : null;
        }, $"the verification of run {runId} to be {string.Join(" or ", states)}", TimeSpan.FromSeconds(90));

    /// <summary>The scratch databases of this test's runs still on the drill server (other tests drill there too).</summary>
    async Task<List<string>> ScratchDatabasesAsync(params Guid[] runIds)
    {
        var mine = runIds.Select(r => ScratchPrefix + r.ToString("N")).ToHashSet();
        await using var connection = new Npgsql.NpgsqlConnection(DrillServer.ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = ScratchPrefix });
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return [.. names.Where(mine.Contains)];
    }

    const string ScratchPrefix = "backup_drill_";

    [Fact]
    public async Task A_backup_is_proven_with_exact_row_counts_and_timed_steps_and_no_scratch_database_is_left()
    {
        await StartDrillingRestorerAsync(("Drills:Sources:demo:Checks:customers", "SELECT count(*) > 0 FROM public.customers"));

        var runId = await BackUpAsync();
        var verification = await WaitForVerificationAsync(runId, VerificationStates.Passed, VerificationStates.Failed);

        Assert.True(verification.State == VerificationStates.Passed, $"{verification.ErrorCode}: {verification.Reason}");
        var tables = JsonSerializer.Deserialize<List<RestoredTable>>(verification.Tables!, JsonSerializerOptions.Web)!;
        Assert.Equal(["billing.invoices", "public.customers", "public.orders"], tables.Select(t => $"{t.Schema}.{t.Name}").Order());
        foreach (var table in tables)
        {
            var source = await system.Postgres.ScalarAsync<long>(system.SourceDatabase, $"SELECT count(*) FROM {table.Schema}.{table.Name}");
            Assert.True(source > 0);
            Assert.Equal((source, source), (table.ExpectedRows, table.RestoredRows));
        }
        var steps = JsonSerializer.Deserialize<List<DrillStep>>(verification.Steps!, JsonSerializerOptions.Web)!;
        Assert.Equal(["fetch", "decode", "schema", "data", "indexes", "verify", "checks"], steps.Select(s => s.Name));
        Assert.All(steps, s => Assert.True(s.Seconds >= 0));
        Assert.True(verification.RecoverySeconds > 0);
        Assert.Equal(steps.Sum(s => s.Seconds), verification.RecoverySeconds!.Value, 0.01);
        Assert.Equal(1800, verification.RtoTargetSeconds);
        var checks = JsonSerializer.Deserialize<List<DrillCheck>>(verification.Checks!, JsonSerializerOptions.Web)!;
        Assert.Equal(("customers", true), (Assert.Single(checks).Name, checks[0].Passed));

        Assert.Empty(await ScratchDatabasesAsync(runId));
        await using (var catalog = system.Catalog())
        {
            var policy = await catalog.DrillPolicies.AsNoTracking().SingleAsync(p => p.Source == "demo");
            Assert.Equal((TimeSpan.Zero, TimeSpan.FromMinutes(30)), (policy.Every, policy.RtoTarget));
        }
        var measured = Assert.Single(metrics.Of(DrillMetrics.DurationName));
        Assert.Equal(("demo", "passed"), (measured.Tag("backup.source"), measured.Tag("backup.outcome")));

        // The API shows the same proof beside the run's state.
        await using var api = new Backup.IntegrationTests.Api.ApiHost(system);
        using var http = api.ClientAs("ops-1", "backup.reader");
        var run = await http.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
        var shown = run.GetProperty("verification");
        Assert.Equal("passed", shown.GetProperty("state").GetString());
        Assert.Equal(verification.RecoverySeconds!.Value, shown.GetProperty("recoverySeconds").GetDouble(), 0.001);
        Assert.Equal(steps.Select(s => s.Name), shown.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(tables.Select(t => t.RestoredRows), shown.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("restoredRows").GetInt64()));
    }

    [Fact]
    public async Task A_check_that_returns_false_fails_the_drill_naming_it_while_the_backup_stays_Completed()
    {
        await StartDrillingRestorerAsync(
            ("Drills:Sources:demo:Checks:no-unpaid-invoices", "SELECT count(*) = 0 FROM billing.invoices"),
            ("Drills:Sources:demo:Checks:customers", "SELECT count(*) > 0 FROM public.customers"));

        var runId = await BackUpAsync();
        var verification = await WaitForVerificationAsync(runId, VerificationStates.Passed, VerificationStates.Failed);

        Assert.Equal((VerificationStates.Failed, VerificationErrorCodes.CheckFailed), (verification.State, verification.ErrorCode));
        Assert.Contains("check no-unpaid-invoices: returned false", verification.Reason);
        Assert.DoesNotContain("check customers", verification.Reason);
        Assert.Equal(BackupRunStates.Completed, (await system.RunAsync(runId))!.CurrentState);
        Assert.Empty(await ScratchDatabasesAsync(runId));
    }

    [Fact]
    public async Task A_manifest_whose_row_counts_were_edited_fails_the_drill_naming_the_table()
    {
        await StartDrillingRestorerAsync();
        var runId = await BackUpAsync();
        Assert.Equal(VerificationStates.Passed, (await WaitForVerificationAsync(runId, VerificationStates.Passed, VerificationStates.Failed)).State);
        var original = ArtifactKey.Parse((await system.RunAsync(runId))!.ArtifactKey);
        // A copy of the backup under a new run, whose manifest claims one more order than the dump counted (the artifact untouched).
        var (copy, copyRun) = await CopyArtifactAsync(original, manifest => manifest with
        {
            Tables = [.. manifest.Tables.Select(t => t.Name == "orders" ? t with { Rows = t.Rows + 1 } : t)],
        });

        await rabbit.PublishEventAsync(new BackupCompleted
        {
            RunId = copyRun, Source = "demo", StartedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow,
            ArtifactKey = copy.Value, SizeBytes = new FileInfo(Path.Combine(system.StoreRoot, copy.Value)).Length,
            Sha256 = (await system.RunAsync(runId))!.Sha256!, Format = "pg_dump-custom+zstd",
        });
        var verification = await WaitForVerificationAsync(copyRun, VerificationStates.Passed, VerificationStates.Failed);

        Assert.Equal((VerificationStates.Failed, VerificationErrorCodes.RowCountMismatch), (verification.State, verification.ErrorCode));
        Assert.Contains("public.orders", verification.Reason);
        Assert.DoesNotContain("public.customers", verification.Reason);
    }

    [Fact]
    public async Task A_table_using_an_extension_the_scratch_database_lacks_fails_the_drill_with_the_cause()
    {
        // hstore lives in the source database only: a dump of the public schema carries the table, not the extension.
        await system.Postgres.ExecuteAsync(system.SourceDatabase, "CREATE EXTENSION IF NOT EXISTS hstore");
        await system.Postgres.ExecuteAsync(system.SourceDatabase,
            $"CREATE TABLE public.tagged (id int PRIMARY KEY, tags hstore); INSERT INTO public.tagged VALUES (1, 'a=>1'); ALTER TABLE public.tagged OWNER TO \"{system.SourceRole}\"");
        await StartDrillingRestorerAsync();

        var runId = await BackUpAsync();
        var verification = await WaitForVerificationAsync(runId, VerificationStates.Passed, VerificationStates.Failed);

        Assert.Equal((VerificationStates.Failed, VerificationErrorCodes.RestoreFailed), (verification.State, verification.ErrorCode));
        Assert.Contains("hstore", verification.Reason);
        Assert.Equal(BackupRunStates.Completed, (await system.RunAsync(runId))!.CurrentState);
        Assert.Empty(await ScratchDatabasesAsync(runId));
    }

    [Fact]
    public async Task A_scratch_database_a_killed_drill_left_is_dropped_by_the_next_drill_and_nothing_else()
    {
        // What a drill killed mid-restore leaves: a scratch database marked as the drill's own (ArtifactRestore marks every
        // database it creates), and, beside it, a database of someone else's that merely shares the prefix.
        var leftover = ScratchPrefix + Guid.NewGuid().ToString("N");
        var foreign = ScratchPrefix + "notmine_" + Guid.NewGuid().ToString("N")[..8];
        await DrillServer.ExecuteAsync("postgres", $"CREATE DATABASE {leftover}");
        await DrillServer.ExecuteAsync("postgres", $"COMMENT ON DATABASE {leftover} IS 'Restored by backup-drill from demo/x.dump.zst'");
        await DrillServer.ExecuteAsync("postgres", $"CREATE DATABASE {foreign}");
        try
        {
            await StartDrillingRestorerAsync();
            var runId = await BackUpAsync();
            Assert.Equal(VerificationStates.Passed, (await WaitForVerificationAsync(runId, VerificationStates.Passed, VerificationStates.Failed)).State);

            Assert.False(await DrillServer.ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{leftover}')"),
                "the killed drill's scratch database was dropped");
            Assert.True(await DrillServer.ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{foreign}')"),
                "a database the drills did not make is kept, whatever its name");
            Assert.Empty(await ScratchDatabasesAsync(runId));
        }
        finally
        {
            await DrillServer.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {foreign}");
            await DrillServer.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {leftover}");
        }
    }

    [Fact]
    public async Task A_source_drilled_at_most_once_a_day_gets_one_drill_for_three_backups()
    {
        await StartDrillingRestorerAsync(("Drills:Sources:demo:Every", "1.00:00:00"));

        var first = await BackUpAsync();
        var second = await BackUpAsync();
        var third = await BackUpAsync();

        Assert.Equal(VerificationStates.Passed, (await WaitForVerificationAsync(first, VerificationStates.Passed)).State);
        foreach (var later in new[] { second, third })
        {
            var skipped = await WaitForVerificationAsync(later, VerificationStates.Skipped);
            Assert.Contains("at most every 1 day", skipped.Reason);
            Assert.Contains(first.ToString("D"), skipped.Reason);
        }
        await using var catalog = system.Catalog();
        Assert.Equal(1, await catalog.Jobs.CountAsync(j => j.Kind == DrillJob.Kind));
    }

    /// <summary>The artifact under a new key of the same source, with its manifest changed by <paramref name="edit"/>.</summary>
    async Task<(ArtifactKey Key, Guid RunId)> CopyArtifactAsync(ArtifactKey original, Func<ArtifactManifest, ArtifactManifest> edit)
    {
        var runId = Guid.NewGuid();
        var copy = ArtifactKey.Create(original.Source, runId, DateTimeOffset.UtcNow, original.Encoding);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(system.StoreRoot, copy.Value))!);
        File.Copy(Path.Combine(system.StoreRoot, original.Value), Path.Combine(system.StoreRoot, copy.Value));
        var manifest = JsonSerializer.Deserialize<ArtifactManifest>(
            await File.ReadAllTextAsync(Path.Combine(system.StoreRoot, original.ManifestPath)), ArtifactManifest.Contract)!;
        await File.WriteAllTextAsync(Path.Combine(system.StoreRoot, copy.ManifestPath),
            JsonSerializer.Serialize(edit(manifest with { ArtifactKey = copy.Value, RunId = runId }), ArtifactManifest.Contract));
        return (copy, runId);
    }
}
