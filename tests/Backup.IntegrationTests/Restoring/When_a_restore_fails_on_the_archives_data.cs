using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Restoring;

/// <summary>
/// A source whose data breaks its own foreign key (an order of a customer that does not exist, loaded with triggers
/// off as replication does): its backup restores the rows, then pg_restore fails to add the foreign key, and the
/// server's error quotes the key ("DETAIL: Key (customer_id)=(…) is not present"). The RestoreFailed reason, and the
/// restore's result that GET /restores/{id} returns, name the table and the error, and quote no row.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_restore_fails_on_the_archives_data(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string OrphanCustomer = "987654321";
    const string OrphanTotal = "4242424242";
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    RestoreOutcome outcome = null!;
    string result = "";

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.Postgres.ExecuteAsync(system.SourceDatabase,
            $"SET session_replication_role = replica; INSERT INTO public.orders (customer_id, total_cents) VALUES ({OrphanCustomer}, {OrphanTotal})");
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartRestorer();
        rabbit = await RawRabbit.ConnectAsync(system);
        var outcomes = await RestoreOutcomes.ListenAsync(rabbit);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        var artifactKey = (await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey!;
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, artifactKey, system.NewDatabaseName());
        outcome = await outcomes.WaitAsync(restoreId);
        result = await Eventually.Get(() => system.Postgres.ScalarAsync<string?>(system.CatalogDatabase,
            $"SELECT result::text FROM jobs WHERE kind = '{JobKinds.Restore}' AND key = '{JobKinds.KeyOf(restoreId)}' AND state = 'finished'"),
            "the restore job's result");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public void The_reason_names_the_table_and_the_error()
    {
        Assert.False(outcome.Completed, outcome.ToString());
        Assert.Equal("RestoreFailed", outcome.ErrorCode);
        Assert.Contains("orders", outcome.Reason);
        Assert.Contains("violates foreign key constraint", outcome.Reason);
    }

    [Fact]
    public void Neither_the_reason_nor_the_restores_result_quotes_a_row()
    {
        Assert.DoesNotContain(OrphanCustomer, outcome.Reason);
        Assert.DoesNotContain("DETAIL", outcome.Reason);
        Assert.Contains("violates foreign key constraint", result);
        Assert.DoesNotContain(OrphanCustomer, result);
        Assert.DoesNotContain(OrphanTotal, result);
    }
}
