using Backup.Database;
using Backup.Database.Retention;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// Two retention services on one catalog and store sweep at the same moments, over and over, while 10 of 40 backups
/// are due; each counts the store deletes it made. Every due artifact is deleted once, by one of them, with one
/// BackupExpired; and when the sweep lock is out of the picture (two completions of the same pending deletions at
/// once) the per-run claim still lets only one of them delete.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_two_retention_instances_sweep_at_once(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    RetentionScenario scenario = null!;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, Now);
        for (var age = 0; age < 40; age++)
            await scenario.AddAsync("demo", Now.Date.AddHours(2).AddDays(-age));
        await scenario.WaitUntilCatalogedAsync();
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    [Fact]
    public async Task Each_artifact_is_deleted_once_with_one_BackupExpired()
    {
        var stores = new[] { new RefusingStore(scenario.Store), new RefusingStore(scenario.Store) };
        var instances = new[]
        {
            await scenario.StartRetentionAsync(s => s.AddSingleton<IArtifactStore>(stores[0])),
            await scenario.StartRetentionAsync(s => s.AddSingleton<IArtifactStore>(stores[1])),
        };
        var due = scenario.Backups.Where(b => b.CompletedAt < Now.AddDays(-30)).ToList();
        Assert.Equal(10, due.Count);

        for (var round = 0; round < 5; round++)
            await Task.WhenAll(instances.Select(RetentionScenario.SweepAsync));
        await scenario.WaitUntilExpiredAsync(due);

        Assert.Equal(10, stores.Sum(s => s.Deleted));
        Assert.All(scenario.Backups, b => Assert.Equal(!due.Contains(b), b.InStore));
        var events = await scenario.ExpiryEventsAsync();
        Assert.Equal(due.Select(b => b.RunId).Order(), events.Keys.Order());
        Assert.All(events.Values, count => Assert.Equal(1, count));
        await using var catalog = scenario.System.Catalog();
        Assert.All(await catalog.ArtifactDeletions.AsNoTracking().ToListAsync(), d => Assert.Equal(1, d.Attempts));
    }

    [Fact]
    public async Task Two_completions_of_the_same_pending_deletions_delete_each_artifact_once()
    {
        var due = scenario.Backups.Where(b => b.CompletedAt < Now.AddDays(-30)).ToList();
        await using (var catalog = scenario.System.Catalog())
            foreach (var backup in due)
                await ArtifactDeletions.MarkAsync(catalog, new ArtifactDeletion
                {
                    RunId = backup.RunId, Source = "demo", ArtifactKey = backup.Key.Value, CompletedAt = backup.CompletedAt,
                    ReasonCode = "age", Reason = "age: test", RequestedBy = "test", RequestedAt = Now,
                }, CancellationToken.None);

        // Two processes complete the same ten deletions at once, as the API and a sweep might; the store is slow.
        var slow = new SlowStore(scenario.Store);
        var deletions = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var catalog = scenario.System.Catalog();
            var outcomes = new List<CompleteOutcome>();
            foreach (var backup in due)
                outcomes.Add((await ArtifactDeletions.CompleteAsync(catalog, backup.RunId,
                    (key, token) => slow.DeleteAsync(ArtifactKey.Parse(key), token), scenario.Clock, CancellationToken.None)).Outcome);
            return outcomes;
        })));

        Assert.Equal(10, deletions.Sum(outcomes => outcomes.Count(o => o == CompleteOutcome.Deleted)));
        Assert.Equal(10, slow.Calls);
        await scenario.WaitUntilExpiredAsync(due);
        Assert.All(await scenario.ExpiryEventsAsync(), e => Assert.Equal(1, e.Value));
    }

    /// <summary>The real store, each delete taking a moment, so two deleters overlap; counts the deletes asked of it.</summary>
    sealed class SlowStore(IArtifactStore store)
    {
        int calls;

        public int Calls => calls;

        public async Task DeleteAsync(ArtifactKey key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            await store.DeleteAsync(key, cancellationToken);
        }
    }
}
