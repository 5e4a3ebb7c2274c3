using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// A dumper process killed (SIGKILL) at each step of storing a backup, stopped at that step exactly by a
/// <see cref="JobRowGate"/> on its job's row (each step is preceded by the dumper's fencing check on that row, so no
/// hook in its code is needed): after the artifact is committed (no manifest yet), after the manifest is written
/// (BackupCompleted not yet published), after BackupCompleted is published (the job not yet finished). The source
/// holds pg_dump (a table locked by the test) until the gate is closed. The next dumper finds what the dead one left:
/// a whole backup is reported as it is (never dumped twice, never failed, whatever the encryption settings are now);
/// an artifact without its manifest is removed and the source dumped again, or, when no attempt is left, removed
/// before the run is failed, so a failed run never sits beside a stored artifact.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_dumper_is_killed_at_a_step_of_storing(TestInfrastructure infrastructure)
{
    public enum Step { ArtifactCommitted, ManifestWritten, CompletionPublished }

    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog"];

    [Theory]
    [InlineData(Step.ArtifactCommitted)]
    [InlineData(Step.ManifestWritten)]
    [InlineData(Step.CompletionPublished)]
    public async Task The_run_completes_once_with_one_whole_artifact(Step step)
    {
        await using var scenario = await Scenario.StartAsync(infrastructure);
        var killedWith = await scenario.KillTheDumperAfterAsync(step);

        var (run, note) = await scenario.FinishWithAnotherDumperAsync(scenario.Settings);

        var key = await scenario.AssertOneWholeBackupReportedAsCompletedAsync(run);
        if (step == Step.ArtifactCommitted)
        {
            Assert.Equal("", note); // dumped again after removing the artifact that had no manifest
        }
        else
        {
            Assert.Equal("already stored", note); // reported, not dumped again: the same bytes as when it was killed
            Assert.Equal(killedWith, await scenario.Sha256Async(key));
        }
    }

    [Theory]
    [InlineData(Step.ManifestWritten)]
    [InlineData(Step.CompletionPublished)]
    public async Task On_the_last_attempt_the_give_up_reports_the_stored_backup(Step step)
    {
        await using var scenario = await Scenario.StartAsync(infrastructure, lastAttempt: true);
        var killedWith = await scenario.KillTheDumperAfterAsync(step);

        var (run, note) = await scenario.FinishWithAnotherDumperAsync(scenario.Settings);

        var key = await scenario.AssertOneWholeBackupReportedAsCompletedAsync(run);
        Assert.Equal("gave up", note);
        Assert.Equal(killedWith, await scenario.Sha256Async(key));
    }

    [Fact]
    public async Task On_the_last_attempt_an_artifact_without_its_manifest_is_removed_before_the_run_fails()
    {
        await using var scenario = await Scenario.StartAsync(infrastructure, lastAttempt: true);
        await scenario.KillTheDumperAfterAsync(Step.ArtifactCommitted);

        var (run, note) = await scenario.FinishWithAnotherDumperAsync(scenario.Settings);

        Assert.Equal("gave up", note);
        Assert.Equal(BackupRunStates.Failed, run.CurrentState);
        Assert.Empty(await scenario.Store.ListAsync(CancellationToken.None).ToListAsync());
        Assert.Empty(scenario.VisibleFiles());
        Assert.DoesNotContain(scenario.Completions, m => m.GetProperty("runId").GetGuid() == scenario.RunId);
    }

    [Fact]
    public async Task After_encryption_is_turned_off_the_encrypted_backup_is_reported_not_dumped_again()
    {
        using var gpg = await GpgHome.CreateAsync("ops@example.com");
        await using var scenario = await Scenario.StartAsync(infrastructure, encryptWith: gpg.PublicKeyFile);
        var killedWith = await scenario.KillTheDumperAfterAsync(Step.ManifestWritten);

        var plain = new Dictionary<string, string?>(scenario.Settings) { ["Encryption:RecipientKeyFiles:0"] = null };
        var (run, note) = await scenario.FinishWithAnotherDumperAsync(plain);

        var key = await scenario.AssertOneWholeBackupReportedAsCompletedAsync(run);
        Assert.Equal(ArtifactEncoding.ZstdOpenPgp, key.Encoding);
        Assert.Equal("already stored", note);
        Assert.Equal(killedWith, await scenario.Sha256Async(key));
    }

    /// <summary>One run, its dumper stopped at a step by the gate and killed there, and the dumper that comes after.</summary>
    sealed class Scenario : IAsyncDisposable
    {
        readonly RawRabbit rabbit;
        readonly bool lastAttempt;

        Scenario(BackupSystem system, RawRabbit rabbit, Dictionary<string, string?> settings, bool lastAttempt)
        {
            System = system;
            this.rabbit = rabbit;
            Settings = settings;
            this.lastAttempt = lastAttempt;
            Store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        }

        public BackupSystem System { get; }
        public Guid RunId { get; } = Guid.NewGuid();
        public Dictionary<string, string?> Settings { get; }
        public FileSystemArtifactStore Store { get; }
        public ConcurrentQueue<JsonElement> Completions { get; private set; } = null!;
        ConcurrentQueue<JsonElement> failures = null!;
        string JobKey => JobKinds.KeyOf(RunId);

        public static async Task<Scenario> StartAsync(TestInfrastructure infrastructure, bool lastAttempt = false, string? encryptWith = null)
        {
            var system = await BackupSystem.CreateAsync(infrastructure);
            await system.StartCatalog();
            var rabbit = await RawRabbit.ConnectAsync(system);
            var settings = system.Configuration("Backup.Dumper");
            // No heartbeat during the test: every statement the dumper sends on its job's row is a step of its work.
            settings["Jobs:HeartbeatInterval"] = "00:02:00";
            settings["Jobs:StaleAfter"] = "00:06:00";
            settings["Dumper:RetryDelays:0"] = "00:00:01"; // two attempts
            settings["Encryption:RecipientKeyFiles:0"] = encryptWith;
            var scenario = new Scenario(system, rabbit, settings, lastAttempt)
            {
                Completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted"),
            };
            scenario.failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
            return scenario;
        }

        /// <summary>
        /// Runs a dumper up to <paramref name="step"/> and kills it there (on the job's last allowed attempt, after a
        /// first dumper was killed mid-dump, when the scenario says so); returns the SHA-256 of the artifact it left.
        /// </summary>
        public async Task<string?> KillTheDumperAfterAsync(Step step)
        {
            await using var source = await HoldTheSourceAsync();
            if (lastAttempt)
            {
                await using var first = await ServiceProcess.StartAsync("Backup.Dumper", Settings, Secrets);
                await rabbit.RequestBackupAsync(RunId, "demo");
                await WaitForPgDumpHeldAsync(attempt: 1);
                first.KillHard(); // mid-dump: nothing stored
                await EndDeadPgDumpsAsync();
                await MakeTheClaimStaleAsync();
            }

            await using var dumper = await ServiceProcess.StartAsync("Backup.Dumper", Settings, Secrets);
            if (!lastAttempt) await rabbit.RequestBackupAsync(RunId, "demo");
            await WaitForPgDumpHeldAsync(attempt: lastAttempt ? 2 : 1);
            await using var gate = await JobRowGate.CloseAsync(System.Postgres, System.CatalogDatabase, JobKinds.Dump, JobKey);
            await source.CloseAsync(); // pg_dump goes on; the dumper stops at its check before committing the artifact

            await gate.PassOneAsync("committing the artifact");
            var artifact = Assert.Single(await Store.ListAsync(CancellationToken.None).ToListAsync());
            Assert.Null(await Store.ReadManifestAsync(artifact, CancellationToken.None));
            if (step > Step.ArtifactCommitted)
            {
                await gate.PassOneAsync("writing the manifest");
                Assert.NotNull(await Store.ReadManifestAsync(artifact, CancellationToken.None));
                Assert.DoesNotContain(Completions, m => m.GetProperty("runId").GetGuid() == RunId);
            }
            if (step > Step.ManifestWritten)
            {
                await gate.PassOneAsync("publishing BackupCompleted");
                await Eventually.True(() => Task.FromResult(Completions.Any(m => m.GetProperty("runId").GetGuid() == RunId)),
                    "the dumper's BackupCompleted");
            }
            dumper.KillHard();
            await gate.TerminateWaitingAsync();
            var sha256 = await Sha256Async(artifact);
            await gate.DisposeAsync();
            await MakeTheClaimStaleAsync();
            return sha256;
        }

        /// <summary>Another dumper takes the job over; returns the ended run and the finished job's note.</summary>
        public async Task<(BackupRun Run, string Note)> FinishWithAnotherDumperAsync(Dictionary<string, string?> settings)
        {
            await using var next = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
            var note = await Eventually.Get(() => System.Postgres.ScalarAsync<string?>(System.CatalogDatabase,
                $"SELECT COALESCE(last_error, '') FROM jobs WHERE key = '{JobKey}' AND state = 'finished'"), "the job to be finished");
            var run = await Eventually.Get(async () => await System.RunAsync(RunId) is { CurrentState: BackupRunStates.Completed or BackupRunStates.Failed } ended ? ended : null,
                "the run to end");
            return (run, note);
        }

        /// <summary>One artifact and its manifest in the store, whole, and the run completed with it; no BackupFailed.</summary>
        public async Task<ArtifactKey> AssertOneWholeBackupReportedAsCompletedAsync(BackupRun run)
        {
            var key = Assert.Single(await Store.ListAsync(CancellationToken.None).ToListAsync());
            var manifest = await Store.ReadManifestAsync(key, CancellationToken.None);
            Assert.NotNull(manifest);
            Assert.Equal(RunId, manifest.RunId);
            Assert.Equal(manifest.Sha256, await Sha256Async(key));
            Assert.Equal(2, VisibleFiles().Count()); // nothing else

            Assert.Equal(BackupRunStates.Completed, run.CurrentState);
            Assert.Equal(key.Value, run.ArtifactKey);
            Assert.Equal(manifest.Sha256, run.Sha256);
            Assert.All(Completions.Where(m => m.GetProperty("runId").GetGuid() == RunId),
                m => Assert.Equal(key.Value, m.GetProperty("artifactKey").GetString()));
            Assert.DoesNotContain(failures, m => m.GetProperty("runId").GetGuid() == RunId);
            return key;
        }

        /// <summary>The store's files but the hidden partial writes of killed dumpers (the leftover cleanup's).</summary>
        public IEnumerable<string> VisibleFiles() => Directory.EnumerateFiles(System.StoreRoot, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.'));

        public async Task<string?> Sha256Async(ArtifactKey key)
        {
            await using var artifact = await Store.OpenReadAsync(key, CancellationToken.None);
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact));
        }

        // The source's customers table locked by the test (until the connection is closed): pg_dump waits for it, so
        // the dumper is held mid-dump.
        async Task<NpgsqlConnection> HoldTheSourceAsync()
        {
            var connection = new NpgsqlConnection(System.Postgres.ConnectionString(System.SourceDatabase));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", connection);
            await command.ExecuteNonQueryAsync();
            return connection;
        }

        // The job's attempt has claimed it and its pg_dump waits for the locked table.
        async Task WaitForPgDumpHeldAsync(int attempt)
        {
            await Eventually.True(async () => await System.Postgres.ScalarAsync<long>(System.CatalogDatabase,
                $"SELECT count(*) FROM jobs WHERE key = '{JobKey}' AND state = 'running' AND attempts = {attempt}") == 1,
                $"attempt {attempt} to claim the job");
            await Eventually.True(async () => await System.Postgres.ScalarAsync<long>(System.SourceDatabase,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'backup-dumper' AND wait_event_type = 'Lock'") == 1,
                "pg_dump to wait for the locked source table");
        }

        // The killed dumper's pg_dump died with it; its sessions (pg_dump's, waiting for the lock, would otherwise dump on)
        // are ended as PostgreSQL would end them once it noticed.
        async Task EndDeadPgDumpsAsync()
        {
            const string PgDumps = "FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'backup-dumper'";
            await System.Postgres.ExecuteAsync(System.SourceDatabase, $"SELECT pg_terminate_backend(pid) {PgDumps}");
            await Eventually.True(async () => await System.Postgres.ScalarAsync<long>(System.SourceDatabase, $"SELECT count(*) {PgDumps}") == 0,
                "the dead dumper's pg_dump session to end");
        }

        // The dead dumper's claim as it is once Jobs:StaleAfter has passed, without waiting for it.
        Task MakeTheClaimStaleAsync() => System.Postgres.ExecuteAsync(System.CatalogDatabase,
            $"UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE key = '{JobKey}' AND state = 'running'");

        public async ValueTask DisposeAsync()
        {
            await rabbit.DisposeAsync();
            await System.DisposeAsync();
        }
    }
}
