using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Contracts;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Database.Notifications;
using Backup.Database.Scheduling;
using Backup.Database.Verification;
using Backup.IntegrationTests.Infrastructure;
using Backup.IntegrationTests.Notifying;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.IntegrationTests.Replicas;

/// <summary>
/// Two processes of every service (scheduler, catalog, dumper, notifier, retention, restorer) on one broker virtual
/// host, catalog database and store, and one of each killed (SIGKILL) while the test holds it in the middle of its
/// work: both schedulers waiting to claim an occurrence (schedule_occurrences locked), a retention sweep waiting for an
/// expired artifact's lock, a dumper whose pg_dump waits for a locked table, a catalog updating a run whose row is
/// locked, a restorer waiting for the drill server's lock, a notifier whose email's DATA reply the mail server holds.
/// Each process killed is the one the catalog names as holding the work (a claim's holder carries its process id; a
/// blocked session's client port belongs to its process). The survivors finish everything, once.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_every_service_runs_twice_and_one_of_each_is_killed(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets =
        ["RabbitMq:Password", "ConnectionStrings:Catalog", "Sources:demo:Password", "Restore:Password", "Drills:Password"];
    static readonly string[] Projects =
        ["Backup.Catalog", "Backup.Scheduler", "Backup.Dumper", "Backup.Notifier", "Backup.Retention", "Backup.Restorer"];

    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Dictionary<string, ServiceProcess[]> services = [];
    readonly ConcurrentBag<ServiceProcess> processes = [];
    readonly ConcurrentDictionary<string, int> killed = [];
    readonly List<NpgsqlConnection> gates = [];
    ConcurrentQueue<JsonElement> requested = null!, completed = null!, expiredEvents = null!;
    BackupCompleted expired = null!, kept = null!;
    readonly Guid[] requestedRuns = [Guid.NewGuid(), Guid.NewGuid()];
    Guid heldRun;
    string killedNotifier = null!;
    DateTimeOffset gatedOccurrence;
    Guid restoreId;
    RestoreOutcome restore = null!;
    string restoreTarget = null!;
    List<Guid> demoRuns = [];

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        rabbit = await RawRabbit.ConnectAsync(system);
        requested = await rabbit.ListenAsync("Backup.Contracts:BackupRequested");
        completed = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");
        expiredEvents = await rabbit.ListenAsync("Backup.Contracts:BackupExpired");
        var restores = await RestoreOutcomes.ListenAsync(rabbit);

        // Gates closed before anything starts: every pg_dump waits for this table, every drill for the drill server's lock.
        var sourceGate = await GateAsync(system.Postgres.ConnectionString(system.SourceDatabase), "BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE");
        var drillGate = await GateAsync(infrastructure.BarePostgres.ConnectionString("postgres"), "SELECT pg_advisory_lock(hashtextextended('backup-drill', 0))");

        var started = await Task.WhenAll(Projects.Select(project => Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            var process = await ServiceProcess.StartAsync(project, Settings(project), Secrets);
            processes.Add(process);
            return process;
        }))));
        for (var i = 0; i < Projects.Length; i++) services[Projects[i]] = started[i];
        var scheduling = KillASchedulerWhileBothClaimAsync();

        // Retention: an artifact of source "old" 40 days old and a newer one (Retention:KeepLast 1), the old one's lock held.
        expired = await StoredBackups.StoreAsync(system, 2048, "old", completedAt: DateTimeOffset.UtcNow.AddDays(-40));
        kept = await StoredBackups.StoreAsync(system, 2048, "old");
        var artifactGate = await GateAsync(system.CatalogConnectionString, $"BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('artifact:{expired.ArtifactKey}', 0))");
        await rabbit.PublishEventAsync(expired);
        await rabbit.PublishEventAsync(kept);
        // A sweep that ran before the catalog had both runs expired nothing: the newer one's event again (as a redelivery
        // would bring it; the catalog and the notifier take it for the duplicate it is) sweeps once both are there.
        foreach (var run in new[] { expired.RunId, kept.RunId }) await WaitUntilStoredAsync(run);
        await Eventually.True(async () => await DeliveriesAsync(kept.RunId) is { Count: 2 } rows && rows.All(d => d.State == NotificationStates.Sent),
            "the newer backup's emails to be sent");
        await rabbit.PublishEventAsync(kept);
        await KillTheOneBlockedByAsync("Backup.Retention", artifactGate, "a retention sweep to wait for the expired artifact's lock");
        await artifactGate.DisposeAsync();

        // Dumper: whichever dump of "demo" is claimed first waits in pg_dump; its holder is killed.
        foreach (var run in requestedRuns) await rabbit.RequestBackupAsync(run, "demo");
        var job = await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            var running = await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Kind == JobKinds.Dump && j.State == JobStates.Running);
            return running is not null && await DumpsWaitingAsync() > 0 ? running : null;
        }, "a dumper's pg_dump to wait for the locked table");
        heldRun = Guid.ParseExact(job.Key, "N");
        Kill("Backup.Dumper", HolderProcess(job.ClaimedBy));
        system.Mail.HoldDataReplyOnce(m => IsBackupEmailOf(m, heldRun));

        // Catalog: the held run's row locked, so the catalog that takes its next event waits on it; then the dump goes on.
        var runGate = await GateAsync(system.CatalogConnectionString, $"BEGIN; SELECT 1 FROM backup_runs WHERE correlation_id = '{heldRun}' FOR NO KEY UPDATE");
        await sourceGate.DisposeAsync();
        await KillTheOneBlockedByAsync("Backup.Catalog", runGate, "a catalog to wait for the held run's row", TimeSpan.FromMinutes(2));
        await runGate.DisposeAsync();
        await WaitUntilStoredAsync(heldRun);

        await Task.WhenAll(scheduling, KillTheDrillingRestorerAsync(drillGate), KillTheSendingNotifierAsync());

        // Every demo run requested so far (ours, and the occurrences up to the gated one) completes; then a restore.
        demoRuns = [.. requestedRuns, .. (await OccurrencesAsync()).Where(o => o.Occurrence <= gatedOccurrence).Select(o => o.RunId)];
        foreach (var run in demoRuns) await WaitUntilStoredAsync(run);
        var other = await system.RunAsync(requestedRuns.First(r => r != heldRun));
        restoreId = Guid.NewGuid();
        restoreTarget = system.NewDatabaseName();
        await rabbit.RequestRestoreAsync(restoreId, other!.ArtifactKey!, restoreTarget);
        restore = await restores.WaitAsync(restoreId);
    }

    public async Task DisposeAsync()
    {
        system.Mail.ReleaseHeld();
        foreach (var gate in gates) await gate.DisposeAsync();
        foreach (var process in processes) await process.DisposeAsync();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    Dictionary<string, string?> Settings(string project)
    {
        var settings = system.Configuration(project);
        settings["Jobs:HeartbeatInterval"] = "00:00:01";
        settings["Jobs:StaleAfter"] = "00:00:05";
        settings["Sources:demo:Schedule"] = "* * * * *";
        settings["Scheduler:CatchUpWindow"] = "00:00:00";
        settings["Scheduler:RepublishAfter"] = "00:00:05";
        settings["Scheduler:ReloadInterval"] = "00:00:02";
        settings["Retention:KeepLast"] = "1";
        settings["Notifier:SendingTimeout"] = "00:00:10";
        settings["Notifier:RetryDelays:0"] = "00:00:00.500";
        settings["Notifier:ResendDelay"] = "00:00:01";
        settings["Smtp:Timeout"] = "00:05:00"; // the notifier killed waits for the held reply until then
        settings.DrillOnto(infrastructure.BarePostgres);
        settings["Drills:Sources:old:Enabled"] = "false"; // its artifacts are random bytes
        return settings;
    }

    // Scheduler: just before a minute turns, schedule_occurrences is locked; once both schedulers wait on it past the
    // minute, one is killed. Whichever claim goes in (the dead one's, when its waiting insert runs after all), the
    // occurrence is published once.
    async Task KillASchedulerWhileBothClaimAsync()
    {
        await Eventually.True(() => Task.FromResult(DateTimeOffset.UtcNow.Second is >= 50 and < 57), "the end of a minute", TimeSpan.FromSeconds(70));
        var now = DateTimeOffset.UtcNow;
        gatedOccurrence = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);
        var gate = await GateAsync(system.CatalogConnectionString, "BEGIN; LOCK TABLE schedule_occurrences IN EXCLUSIVE MODE");
        await Eventually.True(async () => DateTimeOffset.UtcNow > gatedOccurrence.AddSeconds(2) && (await BlockedPortsAsync(gate, system.CatalogConnectionString, system.ServiceRoles["Scheduler"])).Count == 2,
            "both schedulers to wait on schedule_occurrences past the minute");
        Kill("Backup.Scheduler", services["Backup.Scheduler"][0]);
        await gate.DisposeAsync();
        await Eventually.True(async () => (await OccurrencesAsync()).Any(o => o.Occurrence == gatedOccurrence), "the gated occurrence to be claimed");
    }

    // Restorer: the held run's drill waits for the drill server's lock; the restorer holding the drill job is killed.
    async Task KillTheDrillingRestorerAsync(NpgsqlConnection drillGate)
    {
        var job = await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            var drill = await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Kind == JobKinds.Drill && j.Key == JobKinds.KeyOf(heldRun) && j.State == JobStates.Running);
            return drill is not null && (await BlockedPortsAsync(drillGate, infrastructure.BarePostgres.ConnectionString("postgres"))).Count > 0 ? drill : null;
        }, "the held run's drill to wait for the drill server's lock", TimeSpan.FromMinutes(2));
        Kill("Backup.Restorer", HolderProcess(job.ClaimedBy));
        await drillGate.DisposeAsync();
    }

    // Notifier: the mail server holds the reply to the held run's email; the notifier whose claim it is gets killed.
    async Task KillTheSendingNotifierAsync()
    {
        await Eventually.True(() => Task.FromResult(!system.Mail.Held.IsEmpty), "the mail server to hold the held run's email", TimeSpan.FromMinutes(2));
        var sending = await DeliveriesAsync(heldRun);
        var holder = Assert.Single(sending.Select(d => d.ClaimedBy).Distinct());
        Assert.All(sending, d => Assert.Equal(NotificationStates.Sending, d.State));
        killedNotifier = holder!;
        Kill("Backup.Notifier", HolderProcess(holder));
        system.Mail.ReleaseHeld();
    }

    async Task<NpgsqlConnection> GateAsync(string connectionString, string sql)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        gates.Add(connection);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    // The one process of the project whose catalog session waits behind the gate.
    async Task KillTheOneBlockedByAsync(string project, NpgsqlConnection gate, string what, TimeSpan? deadline = null)
    {
        var port = await Eventually.Get(async () => (await BlockedPortsAsync(gate, system.CatalogConnectionString, system.ServiceRoles[project["Backup.".Length..]])) is [var one] ? new[] { one } : null, what, deadline);
        Kill(project, Assert.Single(services[project], p => SocketPorts(p.Id).Contains(port[0])));
    }

    void Kill(string project, ServiceProcess process)
    {
        process.KillHard();
        killed[project] = process.Id;
    }

    ServiceProcess HolderProcess(string? claimedBy)
    {
        var pid = int.Parse(claimedBy!.Split('/')[1]); // ClaimHolder: machine/process id/random
        return services.Values.SelectMany(p => p).Single(p => p.Id == pid);
    }

    // The client ports of the sessions the gate's session holds up (on the gate's server, reached by connectionString).
    static async Task<List<int>> BlockedPortsAsync(NpgsqlConnection gate, string connectionString, string? role = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT client_port FROM pg_stat_activity WHERE @gate = ANY(pg_blocking_pids(pid)) AND (@role = '' OR usename = @role)", connection);
        command.Parameters.AddWithValue("gate", gate.ProcessID);
        command.Parameters.AddWithValue("role", role ?? "");
        var ports = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ports.Add(reader.GetInt32(0));
        return ports;
    }

    // The local TCP ports of the process's sockets (/proc/net/tcp* by inode, matched to /proc/<pid>/fd).
    static HashSet<int> SocketPorts(int pid)
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target!["socket:[".Length..^1]).ToHashSet();
        return File.ReadLines("/proc/net/tcp").Concat(File.ReadLines("/proc/net/tcp6")).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length > 9 && inodes.Contains(columns[9]))
            .Select(columns => Convert.ToInt32(columns[1].Split(':')[1], 16)).ToHashSet();
    }

    // Completed, or Delivered once its emails are sent.
    Task<BackupRun> WaitUntilStoredAsync(Guid runId) => Eventually.Get(async () =>
        await system.RunAsync(runId) is { CurrentState: BackupRunStates.Completed or BackupRunStates.Delivered } run ? run : null,
        $"run {runId} to be Completed or Delivered", TimeSpan.FromMinutes(2));

    Task<long> DumpsWaitingAsync() => system.Postgres.ScalarAsync<long>(system.SourceDatabase,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'backup-dumper' AND wait_event_type = 'Lock'");

    async Task<List<ScheduleOccurrence>> OccurrencesAsync()
    {
        await using var catalog = system.Catalog();
        return await catalog.ScheduleOccurrences.AsNoTracking().ToListAsync();
    }

    async Task<List<NotificationDelivery>> DeliveriesAsync(Guid runId)
    {
        await using var catalog = system.Catalog();
        return await catalog.NotificationDeliveries.AsNoTracking().Where(d => d.RunId == runId && d.Kind == NotificationKinds.Backup).ToListAsync();
    }

    // One scenario (about three minutes) and its checks, in one fact: xunit would run InitializeAsync again for each fact.
    [Fact]
    public async Task Every_piece_of_work_completes_once()
    {
        One_of_each_was_killed_while_it_held_work();
        await Every_run_completes_once_with_a_whole_artifact_and_the_killed_dump_was_taken_over();
        await No_two_dumps_of_the_source_ran_at_once();
        await Each_occurrence_is_requested_once_the_gated_one_too();
        await Each_administrator_gets_each_backup_email_once_and_the_one_killed_mid_send_is_unknown();
        await The_expired_artifact_is_deleted_once_and_the_newer_one_kept();
        await The_killed_drill_passes_on_the_other_restorer_and_a_restore_has_the_manifests_rows();
        await Nothing_is_left_in_an_error_or_skipped_queue();
    }

    void One_of_each_was_killed_while_it_held_work()
    {
        Assert.Equal(Projects.Order(), killed.Keys.Order());
    }

    async Task Every_run_completes_once_with_a_whole_artifact_and_the_killed_dump_was_taken_over()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        foreach (var runId in demoRuns)
        {
            Assert.Single(completed, m => m.GetProperty("runId").GetGuid() == runId);
            var run = (await system.RunAsync(runId))!;
            var key = ArtifactKey.Parse(run.ArtifactKey!);
            var manifest = (await store.ReadManifestAsync(key, CancellationToken.None))!;
            Assert.Equal(runId, manifest.RunId);
            await using var artifact = await store.OpenReadAsync(key, CancellationToken.None);
            Assert.Equal(manifest.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact)));
            Assert.Equal(manifest.Sha256, run.Sha256);
        }
        await using var catalog = system.Catalog();
        var job = await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == JobKinds.Dump && j.Key == JobKinds.KeyOf(heldRun));
        Assert.True(job.Generation > 1, $"generation {job.Generation}");
        Assert.Equal(JobStates.Finished, job.State);
    }

    async Task No_two_dumps_of_the_source_ran_at_once()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var dumps = new List<(DateTimeOffset Started, DateTimeOffset Completed)>();
        foreach (var runId in demoRuns)
        {
            var manifest = (await store.ReadManifestAsync(ArtifactKey.Parse((await system.RunAsync(runId))!.ArtifactKey!), CancellationToken.None))!;
            dumps.Add((manifest.StartedAt, manifest.CompletedAt));
        }
        dumps.Sort();
        for (var i = 1; i < dumps.Count; i++)
            Assert.True(dumps[i].Started >= dumps[i - 1].Completed, $"dump {i} started at {dumps[i].Started:O}, before {dumps[i - 1].Completed:O}");
    }

    async Task Each_occurrence_is_requested_once_the_gated_one_too()
    {
        var occurrences = (await OccurrencesAsync()).Where(o => o.Occurrence <= gatedOccurrence).ToList();
        Assert.Contains(occurrences, o => o.Occurrence == gatedOccurrence);
        Assert.All(occurrences, o =>
        {
            Assert.NotNull(o.PublishedAt);
            Assert.Single(requested, m => m.GetProperty("runId").GetGuid() == o.RunId);
        });
    }

    // The kill may also catch another run's email in flight (its rows claimed by the killed notifier, the SMTP exchange
    // not finished or not recorded): that run is then what the held one is, its rows settled unknown by the other
    // notifier and never sent twice. Any other run gets exactly one email per administrator.
    async Task<bool> InFlightAtTheKillAsync(Guid run) => run == heldRun
        || (await DeliveriesAsync(run)).Any(d => d.ClaimedBy == killedNotifier && d.State == NotificationStates.Unknown);

    async Task Each_administrator_gets_each_backup_email_once_and_the_one_killed_mid_send_is_unknown()
    {
        Guid[] runs = [.. demoRuns, expired.RunId, kept.RunId];
        try
        {
            await Eventually.True(async () =>
            {
                foreach (var r in runs)
                    if (BackupEmails(r).SelectMany(m => m.To.Mailboxes).Count() < BackupSystem.Administrators.Length && !await InFlightAtTheKillAsync(r))
                        return false;
                return true;
            }, "every backup email", TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            // Not failed here: the per-run check below fails on the first run without both emails, naming the run, its
            // delivery rows and the emails it got (a timeout alone said which wait ended, not which run or why).
        }
        // The killed send settled by the other notifier (unknown, or, were it sent again, sent) before its emails are counted.
        await Eventually.True(async () => (await DeliveriesAsync(heldRun)).All(d => d.State is not (NotificationStates.Sending or NotificationStates.Pending)),
            "the killed send to be settled", TimeSpan.FromSeconds(90));
        foreach (var run in runs)
        {
            var recipients = BackupEmails(run).SelectMany(m => m.To.Mailboxes.Select(a => a.Address)).Order().ToList();
            if (await InFlightAtTheKillAsync(run))
                Assert.True(recipients.Count <= 2 && recipients.Distinct().Count() == recipients.Count, $"run {run}: {string.Join(",", recipients)}");
            else if (!BackupSystem.Administrators.Order().SequenceEqual(recipients))
                Assert.Fail($"run {run} ({(run == expired.RunId ? "expired" : run == kept.RunId ? "kept" : "demo")}) emailed to " +
                    $"{string.Join(",", recipients)}; its deliveries: " + string.Join("; ", (await DeliveriesAsync(run)).Select(d =>
                        $"{d.Recipient} {d.State} attempts {d.Attempts} by {d.ClaimedBy} created {d.CreatedAt:HH:mm:ss.fff} sent {d.SentAt:HH:mm:ss.fff}")) +
                    "; emails: " + string.Join(" || ", BackupEmails(run).Select(m => m.Date.ToString("HH:mm:ss") + " " + m.Subject + " :: " +
                        string.Join(" | ", m.TextBody!.Split('\n').Where(l => l.Contains(run.ToString()) || l.Contains("Run") || l.Contains("Started"))))));
        }
        Assert.All(await DeliveriesAsync(heldRun), d => Assert.Equal(NotificationStates.Unknown, d.State));
    }

    IEnumerable<MimeKit.MimeMessage> BackupEmails(Guid runId) => system.Mail.Messages.Where(m => IsBackupEmailOf(m, runId));

    // The run's own backup email, by its "Run" line: another run's email names this one as the source's last verified
    // backup, and a drill's emails name it too.
    static bool IsBackupEmailOf(MimeKit.MimeMessage message, Guid runId) =>
        message.Subject?.Contains(": backup completed") == true && message.TextBody?.Split('\n').Any(line => line.TrimEnd() == $"{"Run",-10} {runId}") == true;

    async Task The_expired_artifact_is_deleted_once_and_the_newer_one_kept()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        await system.WaitForStateAsync(expired.RunId, BackupRunStates.Expired);
        await using var catalog = system.Catalog();
        var deletion = Assert.Single(await catalog.ArtifactDeletions.AsNoTracking().ToListAsync());
        Assert.Equal(expired.RunId, deletion.RunId);
        Assert.Equal(1, deletion.Attempts);
        Assert.Single(expiredEvents, m => m.GetProperty("runId").GetGuid() == expired.RunId);
        Assert.False(File.Exists(Path.Combine(system.StoreRoot, expired.ArtifactKey)));
        Assert.NotNull(await store.ReadManifestAsync(ArtifactKey.Parse(kept.ArtifactKey), CancellationToken.None));
    }

    async Task The_killed_drill_passes_on_the_other_restorer_and_a_restore_has_the_manifests_rows()
    {
        var verification = await Eventually.Get(async () =>
        {
            await using var catalog = system.Catalog();
            return await catalog.BackupVerifications.AsNoTracking()
                .SingleOrDefaultAsync(v => v.RunId == heldRun && (v.State == VerificationStates.Passed || v.State == VerificationStates.Failed));
        }, "the held run's drill to be decided", TimeSpan.FromMinutes(2));
        Assert.True(verification.State == VerificationStates.Passed, $"{verification.ErrorCode}: {verification.Reason}");

        Assert.True(restore.Completed, restore.ToString());
        var run = (await system.RunAsync(requestedRuns.First(r => r != heldRun)))!;
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var manifest = (await store.ReadManifestAsync(ArtifactKey.Parse(run.ArtifactKey!), CancellationToken.None))!;
        Assert.NotEmpty(manifest.Tables);
        foreach (var table in manifest.Tables)
            Assert.Equal(table.Rows, await system.Postgres.ScalarAsync<long>(restoreTarget, $"SELECT count(*) FROM \"{table.Schema}\".\"{table.Name}\""));
    }

    async Task Nothing_is_left_in_an_error_or_skipped_queue()
    {
        var depths = await system.Broker.QueueDepthsAsync(system.VirtualHost);
        Assert.All(depths.Where(q => q.Key.EndsWith("_error", StringComparison.Ordinal) || q.Key.EndsWith("_skipped", StringComparison.Ordinal)),
            q => Assert.Equal(0, q.Value));
    }
}
