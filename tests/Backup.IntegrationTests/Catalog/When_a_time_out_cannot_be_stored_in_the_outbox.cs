using Backup.Catalog;
using Backup.Contracts;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Backup.IntegrationTests.Catalog;

/// <summary>
/// A run times out while the catalog database refuses its BackupFailed in outbox_messages (a trigger raises on the
/// insert and counts each refusal in a sequence, which no rollback undoes). The saga's state change, its timeline row
/// and the outbox row are one transaction: while the alert can't be stored the run stays Requested with no time-out
/// in its timeline, sweep after sweep. Once the outbox takes rows again, the next sweep times it out once, with one
/// transition and one outbox row.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_time_out_cannot_be_stored_in_the_outbox(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    string stateWhileRefused = "";
    long timeoutsWhileRefused = -1;
    long outboxRowsWhileRefused = -1;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.Postgres.ExecuteAsync(system.CatalogDatabase, $$"""
            CREATE SEQUENCE refused_alerts;
            CREATE FUNCTION refuse_alert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$ -- counts as the owner: the catalog role may not use the sequence
            BEGIN
              PERFORM nextval('refused_alerts');
              RAISE EXCEPTION 'outbox_messages refuses the alert of run %', NEW.payload->>'runId';
            END $f$;
            CREATE TRIGGER refuse_alert BEFORE INSERT ON outbox_messages
              FOR EACH ROW WHEN (NEW.payload->>'runId' = '{{runId}}') EXECUTE FUNCTION refuse_alert();
            """);
        await system.StartAsync("Backup.Catalog", b => b.AddCatalog(), settings =>
        {
            settings["Catalog:RunTimeout"] = "00:00:01";
            settings["Catalog:SweepInterval"] = "00:00:00.200";
        });
        rabbit = await RawRabbit.ConnectAsync(system);

        await rabbit.RequestBackupAsync(runId, "demo"); // and no dumper ever starts it
        await system.WaitForStateAsync(runId, BackupRunStates.Requested);
        // Two refused sweeps: the second one found the run still due, so the first left nothing behind.
        await Eventually.True(async () => await RefusalsAsync() >= 2, "two sweeps to try to time the run out");
        stateWhileRefused = (await system.RunAsync(runId))!.CurrentState;
        timeoutsWhileRefused = await TimeoutTransitionsAsync();
        outboxRowsWhileRefused = await OutboxRowsAsync();

        await system.Postgres.ExecuteAsync(system.CatalogDatabase, "DROP TRIGGER refuse_alert ON outbox_messages");
        await system.WaitForStateAsync(runId, BackupRunStates.TimedOut);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    async Task<long> RefusalsAsync() => await system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM refused_alerts");

    Task<long> TimeoutTransitionsAsync() => system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
        $"SELECT count(*) FROM backup_run_transitions WHERE run_id = '{runId}' AND event = 'Timeout'");

    Task<long> OutboxRowsAsync() => system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
        $"SELECT count(*) FROM outbox_messages WHERE payload->>'runId' = '{runId}'");

    [Fact]
    public void While_its_alert_is_refused_the_run_stays_Requested_with_no_time_out_in_its_timeline()
    {
        Assert.Equal(BackupRunStates.Requested, stateWhileRefused);
        Assert.Equal(0, timeoutsWhileRefused);
        Assert.Equal(0, outboxRowsWhileRefused);
    }

    [Fact]
    public async Task Then_it_is_timed_out_once_with_one_transition_and_one_outbox_row()
    {
        var run = (await system.RunAsync(runId))!;
        Assert.Equal(BackupErrorCodes.TimedOut, run.FailureCode);
        Assert.Equal(1, await TimeoutTransitionsAsync());
        Assert.Equal(1, await OutboxRowsAsync());

        await using var catalog = system.Catalog();
        var transition = await catalog.BackupRunTransitions.SingleAsync(t => t.RunId == runId && t.Event == "Timeout");
        Assert.Equal((BackupRunStates.Requested, BackupRunStates.TimedOut), (transition.FromState, transition.ToState));
        Assert.Equal(run.TimedOutAt, transition.At);
    }
}
