using System.Text.Json;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Database.Retention;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Restorer.Restoring;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// Two of the five backups past 30 days are named by restore jobs in the catalog's jobs table, the queue the
/// restorer works from: one claimed (the restore is running), one still queued. The sweep keeps both artifacts
/// and deletes them once the restores have finished. The other side of the same lock: the real restorer, asked to
/// restore a backup pending deletion, refuses before reading it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_restore_is_reading_an_artifact(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    RetentionScenario scenario = null!;
    JobQueue jobs = null!;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, Now);
        for (var age = 0; age < 35; age++)
            await scenario.AddAsync("demo", Now.Date.AddHours(2).AddDays(-age));
        await scenario.WaitUntilCatalogedAsync();
        jobs = new JobQueue(NpgsqlDataSource.Create(scenario.System.CatalogConnectionString), scenario.Clock);
    }

    public async Task DisposeAsync()
    {
        await jobs.DisposeAsync();
        await scenario.DisposeAsync();
    }

    /// <summary>A restore job as the restorer's consumer stores it.</summary>
    Task EnqueueRestoreAsync(Guid restoreId, SeededBackup backup)
    {
        var request = new RestoreRequested
        {
            RestoreId = restoreId, ArtifactKey = backup.Key.Value, RequestedAt = Now, RequestedBy = "test",
        };
        var payload = JsonSerializer.Serialize(new RestoreJobPayload(request, $"demo_restore_{restoreId:N}", Now), JsonSerializerOptions.Web);
        return jobs.EnqueueAsync(RestoreArtifactJob.Kind, RestoreArtifactJob.KeyOf(request), $"demo_restore_{restoreId:N}", payload, null, CancellationToken.None);
    }

    [Fact]
    public async Task The_sweep_keeps_its_artifact_until_the_restore_has_finished()
    {
        var due = scenario.Backups.Where(b => b.CompletedAt < Now.AddDays(-30)).OrderBy(b => b.CompletedAt).ToList();
        Assert.Equal(5, due.Count);
        var (reading, waiting) = (due[0], due[1]);
        await EnqueueRestoreAsync(Guid.NewGuid(), reading);
        var running = await jobs.ClaimAsync(RestoreArtifactJob.Kind, TimeSpan.FromHours(1), CancellationToken.None);
        Assert.NotNull(running);
        await EnqueueRestoreAsync(Guid.NewGuid(), waiting);

        var retention = await scenario.StartRetentionAsync();
        var first = await RetentionScenario.SweepAsync(retention);
        Assert.Equal((3, 2), (first.Expired, first.RestoresWaitedFor));
        await scenario.WaitUntilExpiredAsync(due.Skip(2));
        var states = await scenario.StatesAsync();
        Assert.All(new[] { reading, waiting }, b =>
        {
            Assert.True(b.InStore, $"{b.Key} is being restored and must stay");
            Assert.Equal(BackupRunStates.Completed, states[b.RunId]);
        });
        await using (var catalog = scenario.System.Catalog())
            Assert.False(await catalog.ArtifactDeletions.AnyAsync(d => d.RunId == reading.RunId || d.RunId == waiting.RunId));

        // The restores finish; the next sweep deletes both.
        Assert.True(await jobs.FinishAsync(running!, null, CancellationToken.None));
        var next = await jobs.ClaimAsync(RestoreArtifactJob.Kind, TimeSpan.FromHours(1), CancellationToken.None);
        Assert.True(await jobs.FinishAsync(next!, null, CancellationToken.None));
        var second = await RetentionScenario.SweepAsync(retention);
        Assert.Equal((2, 0), (second.Expired, second.RestoresWaitedFor));
        await scenario.WaitUntilExpiredAsync(due);
        Assert.All(due, b => Assert.False(b.InStore));
    }

    [Fact]
    public async Task The_restorer_refuses_to_start_on_an_artifact_pending_deletion()
    {
        var doomed = scenario.Backups.Single(b => b.CompletedAt.Date == Now.Date.AddDays(-3));
        await using (var catalog = scenario.System.Catalog())
            Assert.Equal(MarkOutcome.Marked, await ArtifactDeletions.MarkAsync(catalog, new ArtifactDeletion
            {
                RunId = doomed.RunId, Source = "demo", ArtifactKey = doomed.Key.Value, CompletedAt = doomed.CompletedAt,
                ReasonCode = "manual", Reason = "manual: deleted through the API by admin-1", RequestedBy = "admin-1", RequestedAt = Now,
            }, CancellationToken.None));

        await scenario.System.StartRestorer();
        await using var rabbit = await RawRabbit.ConnectAsync(scenario.System);
        var outcomes = await RestoreOutcomes.ListenAsync(rabbit);
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, doomed.Key.Value);

        var outcome = await outcomes.WaitAsync(restoreId);
        Assert.Equal("ArtifactNotFound", outcome.ErrorCode);
        Assert.Contains("is being deleted by retention (manual: deleted through the API by admin-1)", outcome.Reason);
        Assert.True(doomed.InStore);
    }
}
