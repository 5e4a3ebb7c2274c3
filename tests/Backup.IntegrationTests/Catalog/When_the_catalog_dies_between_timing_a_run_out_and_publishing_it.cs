using System.Collections.Concurrent;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Catalog;

/// <summary>
/// The catalog times a run out and stores its BackupFailed in the outbox in one transaction; the process is killed
/// (SIGKILL) before that event is published (its dispatcher is off: Catalog:DispatchOutbox=false, so the row is
/// certainly unsent when it dies). A normal catalog process started next publishes it: the alert is neither lost nor
/// doubled, and the outbox row is marked sent.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_catalog_dies_between_timing_a_run_out_and_publishing_it(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "ConnectionStrings:Catalog"];
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    ConcurrentQueue<JsonElement> failures = null!;
    int publishedBeforeTheKill;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        rabbit = await RawRabbit.ConnectAsync(system);
        failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
        var settings = system.Configuration("Backup.Catalog");
        settings["Catalog:RunTimeout"] = "00:00:01";
        settings["Catalog:SweepInterval"] = "00:00:00.200";
        settings["Catalog:OutboxPollInterval"] = "00:00:00.200";

        settings["Catalog:DispatchOutbox"] = "false";
        await using (var first = await ServiceProcess.StartAsync("Backup.Catalog", settings, Secrets))
        {
            await rabbit.RequestBackupAsync(runId, "demo"); // and no dumper ever starts it
            await system.WaitForStateAsync(runId, BackupRunStates.TimedOut);
            await Eventually.Get(() => UnsentRowAsync(), "the run's BackupFailed to wait unsent in the outbox");
            publishedBeforeTheKill = failures.Count(IsThisRun);
            first.KillHard();
        }

        settings["Catalog:DispatchOutbox"] = "true";
        await using var second = await ServiceProcess.StartAsync("Backup.Catalog", settings, Secrets);
        await Eventually.True(async () => await UnsentRowAsync() is null && failures.Any(IsThisRun),
            "the next catalog to publish the stored BackupFailed and mark it sent");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    bool IsThisRun(JsonElement message) => message.GetProperty("runId").GetGuid() == runId;

    async Task<Backup.Database.Outbox.OutboxMessage?> UnsentRowAsync()
    {
        await using var catalog = system.Catalog();
        return await catalog.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages WHERE payload->>'runId' = {runId.ToString()} AND sent_at IS NULL")
            .AsNoTracking().SingleOrDefaultAsync();
    }

    [Fact]
    public void Nothing_was_published_before_the_kill()
    {
        Assert.Equal(0, publishedBeforeTheKill);
    }

    [Fact]
    public async Task Exactly_one_BackupFailed_TimedOut_is_published_with_a_reason_to_act_on()
    {
        var failure = Assert.Single(failures, IsThisRun);
        Assert.Equal("TimedOut", failure.GetProperty("errorCode").GetString());
        Assert.Equal("demo", failure.GetProperty("source").GetString());
        var reason = failure.GetProperty("reason").GetString()!;
        Assert.Contains("No dumper started it", reason);
        Assert.Contains("Catalog:RunTimeouts:demo", reason);

        await using var catalog = system.Catalog();
        var rows = await catalog.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages WHERE payload->>'runId' = {runId.ToString()}").AsNoTracking().ToListAsync();
        var row = Assert.Single(rows);
        Assert.Equal("Backup.Contracts.BackupFailed", row.MessageType);
        Assert.NotNull(row.SentAt);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task The_run_stays_TimedOut_with_its_timeline()
    {
        var run = await system.RunAsync(runId);
        Assert.Equal(BackupRunStates.TimedOut, run!.CurrentState);
        Assert.NotNull(run.TimedOutAt);
        Assert.Null(run.TimeoutAt);
        Assert.Equal("TimedOut", run.FailureCode);

        await using var catalog = system.Catalog();
        var timeline = await catalog.BackupRunTransitions.Where(t => t.RunId == runId).OrderBy(t => t.Id)
            .Select(t => new { t.FromState, t.ToState, t.Event }).ToListAsync();
        Assert.Equal(
            [new { FromState = (string?)null, ToState = "Requested", Event = "BackupRequested" },
             new { FromState = (string?)"Requested", ToState = "TimedOut", Event = "Timeout" }],
            timeline);
    }
}
