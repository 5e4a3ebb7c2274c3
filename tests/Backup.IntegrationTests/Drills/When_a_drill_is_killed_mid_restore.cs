using Backup.Database;
using Backup.Database.Verification;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Drills;

/// <summary>
/// kill -9 of the restorer in the middle of a drill, its scratch database half loaded on the drill server: the next
/// restorer takes the drill job over once the dead one's claim is stale, drops the scratch database the kill left,
/// drills again from the start and passes; afterwards no scratch database of the run is left.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_drill_is_killed_mid_restore(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "ConnectionStrings:Catalog", "Restore:Password", "Drills:Password"];
    BackupSystem system = null!;
    readonly Guid runId = Guid.NewGuid();
    bool scratchLeftByTheKill;
    bool scratchLeftAfterTheNextDrill;
    BackupVerification verification = null!;

    PostgresEndpoint DrillServer => infrastructure.BarePostgres;
    string Scratch => "backup_drill_" + runId.ToString("N");

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        // Enough data that the drill takes a while: about 150 MB of barely compressible text.
        await system.Postgres.ExecuteAsync(system.SourceDatabase, $"""
            CREATE TABLE public.documents (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.documents SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 4) FROM generate_series(1, 800000) g;
            ALTER TABLE public.documents OWNER TO "{system.SourceRole}";
            """);
        await system.StartCatalog();
        await system.StartDumper();

        var settings = system.Configuration("Backup.Restorer");
        settings.DrillOnto(DrillServer);
        settings["Jobs:HeartbeatInterval"] = "00:00:01";
        settings["Jobs:StaleAfter"] = "00:00:05";
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await using (var first = await ServiceProcess.StartAsync("Backup.Restorer", settings, Secrets))
        {
            await rabbit.RequestBackupAsync(runId, "demo");
            await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
            // The drill is loading: its scratch database has the documents table with rows in it already.
            await Eventually.True(async () => await ScratchExistsAsync() && await DocumentsLoadingAsync(),
                "the first restorer's drill to be loading the documents", TimeSpan.FromMinutes(2));
            first.KillHard();
        }
        scratchLeftByTheKill = await ScratchExistsAsync();

        await using var second = await ServiceProcess.StartAsync("Backup.Restorer", settings, Secrets);
        verification = await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.BackupVerifications.AsNoTracking()
                .SingleOrDefaultAsync(v => v.RunId == runId && (v.State == VerificationStates.Passed || v.State == VerificationStates.Failed));
        }, "the drill to be decided by the second restorer", TimeSpan.FromMinutes(3));
        scratchLeftAfterTheNextDrill = await ScratchExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await DrillServer.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {Scratch} WITH (FORCE)");
        await system.DisposeAsync();
    }

    Task<bool> ScratchExistsAsync() =>
        DrillServer.ScalarAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{Scratch}')");

    /// <summary>A COPY into the scratch database is running (its rows are not visible to others before it commits).</summary>
    Task<bool> DocumentsLoadingAsync() => DrillServer.ScalarAsync<bool>("postgres",
        $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = '{Scratch}' AND query LIKE 'COPY %documents%')");

    [Fact]
    public void The_kill_left_a_scratch_database_behind()
    {
        Assert.True(scratchLeftByTheKill);
    }

    [Fact]
    public async Task The_next_restorer_drills_it_again_and_it_passes_with_every_row()
    {
        Assert.True(verification.State == VerificationStates.Passed, $"{verification.ErrorCode}: {verification.Reason}");
        Assert.Contains("\"restoredRows\": 800000", verification.Tables);
        await using var catalog = system.Catalog();
        var job = await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == "drill" && j.Key == runId.ToString("N"));
        Assert.Equal(2, job.Attempts);
    }

    [Fact]
    public void No_scratch_database_of_the_run_is_left_after_the_next_drill()
    {
        Assert.False(scratchLeftAfterTheNextDrill);
    }
}
