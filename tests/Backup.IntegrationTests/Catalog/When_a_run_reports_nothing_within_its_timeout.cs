using Backup.Catalog;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Catalog;

/// <summary>
/// Three runs requested with no dumper to answer and a one-second timeout: the one whose dump job is heartbeating (a
/// long dump) and the one whose job is queued behind it (one dump of a source at a time) are left alone, the third
/// is timed out and the administrators get an alert for it; once the long dump's heartbeat goes stale, the first two
/// are timed out too. A late BackupCompleted still makes a timed-out run Completed.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_run_reports_nothing_within_its_timeout(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid dumping = Guid.NewGuid();
    readonly Guid waiting = Guid.NewGuid();
    readonly Guid silent = Guid.NewGuid();
    string dumpingStateWhenSilentTimedOut = "";
    string waitingStateWhenSilentTimedOut = "";

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartAsync("Backup.Catalog", b => b.AddCatalog(), settings =>
        {
            settings["Catalog:RunTimeout"] = "00:00:01";
            settings["Catalog:HeartbeatGrace"] = "00:05:00";
            settings["Catalog:SweepInterval"] = "00:00:00.200";
        });
        await system.StartNotifier();
        rabbit = await RawRabbit.ConnectAsync(system);

        // A dumper holds the first run's dump job and renews its heartbeat; the second's waits behind it.
        await system.Postgres.ExecuteAsync(system.CatalogDatabase, $"""
            INSERT INTO jobs (kind, key, "group", payload, state, attempts, not_before, claimed_by, heartbeat_at, created_at)
            VALUES ('dump', '{dumping:N}', 'demo', '[]', 'running', 1, now(), 'dumper-1', now(), now()),
                   ('dump', '{waiting:N}', 'demo', '[]', 'queued', 0, now(), NULL, NULL, now())
            """);
        await rabbit.RequestBackupAsync(dumping, "demo");
        await system.WaitForStateAsync(dumping, BackupRunStates.Requested);
        await rabbit.RequestBackupAsync(waiting, "demo");
        await system.WaitForStateAsync(waiting, BackupRunStates.Requested);
        await rabbit.RequestBackupAsync(silent, "demo");
        await system.WaitForStateAsync(silent, BackupRunStates.TimedOut);
        // The silent run's timeout came later than the others': the sweep that took it saw them due too.
        dumpingStateWhenSilentTimedOut = (await system.RunAsync(dumping))!.CurrentState;
        waitingStateWhenSilentTimedOut = (await system.RunAsync(waiting))!.CurrentState;

        await system.Postgres.ExecuteAsync(system.CatalogDatabase,
            $"UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE key = '{dumping:N}'");
        await system.WaitForStateAsync(dumping, BackupRunStates.TimedOut);
        await system.WaitForStateAsync(waiting, BackupRunStates.TimedOut);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public void A_run_whose_dump_heartbeats_is_not_timed_out()
    {
        Assert.Equal(BackupRunStates.Requested, dumpingStateWhenSilentTimedOut);
    }

    [Fact]
    public void A_run_whose_dump_waits_behind_a_heartbeating_dump_of_its_source_is_not_timed_out()
    {
        Assert.Equal(BackupRunStates.Requested, waitingStateWhenSilentTimedOut);
    }

    [Fact]
    public async Task The_administrators_are_alerted_with_the_run_and_what_to_check()
    {
        var alert = await system.Mail.WaitForAsync(m => m.Subject?.Contains("ALERT") == true && m.TextBody?.Contains(silent.ToString()) == true,
            "the time-out alert", TimeSpan.FromSeconds(30));
        Assert.Contains("TimedOut", alert.Subject);
        Assert.Contains("No dumper started it", alert.TextBody);
    }

    [Fact]
    public async Task Each_time_out_is_one_transition_and_one_sent_outbox_row_in_the_same_state()
    {
        await using var catalog = system.Catalog();
        foreach (var runId in new[] { silent, dumping, waiting })
        {
            var timeouts = await catalog.BackupRunTransitions.Where(t => t.RunId == runId && t.Event == "Timeout").ToListAsync();
            var transition = Assert.Single(timeouts);
            Assert.Equal((BackupRunStates.Requested, BackupRunStates.TimedOut), (transition.FromState, transition.ToState));
            var run = (await system.RunAsync(runId))!;
            Assert.Equal(run.TimedOutAt, transition.At);
            await Eventually.True(async () => await system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
                $"SELECT count(*) FROM outbox_messages WHERE payload->>'runId' = '{runId}' AND sent_at IS NOT NULL") == 1,
                "the outbox row to be sent");
        }
    }

    [Fact]
    public async Task A_late_BackupCompleted_still_records_the_artifact_and_completes_the_run()
    {
        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-3);
        await rabbit.PublishAsync("Backup.Contracts:BackupCompleted", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupCompleted"],
             "message":{"runId":"{{silent}}","source":"demo","startedAt":"{{startedAt:O}}","completedAt":"{{DateTimeOffset.UtcNow:O}}",
                        "artifactKey":"demo/late-{{silent:N}}.dump.zst","sizeBytes":1234,"sha256":"{{new string('a', 64)}}","format":"pg_dump-custom+zstd"} }
            """);

        var run = await system.WaitForStateAsync(silent, BackupRunStates.Completed);
        Assert.Equal($"demo/late-{silent:N}.dump.zst", run.ArtifactKey);
        Assert.NotNull(run.TimedOutAt);
        Assert.Null(run.FailureCode);
    }
}
