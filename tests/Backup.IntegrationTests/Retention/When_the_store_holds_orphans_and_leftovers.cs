using Backup.Retention.Cleanup;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// Besides cataloged backups, the store holds an artifact with its manifest whose run the catalog never heard of
/// (two days old), another one only an hour old (its BackupCompleted may still be on its way), and leftovers of
/// interrupted writes, one two days old and one fresh. A sweep removes the old orphan and the old leftover, keeps the
/// fresh ones and every cataloged backup, and reports the counts (the sweep's summary log, event 3001).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_store_holds_orphans_and_leftovers(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    RetentionScenario scenario = null!;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, Now);
        for (var age = 0; age < 5; age++)
            await scenario.AddAsync("demo", Now.AddDays(-age));
        await scenario.WaitUntilCatalogedAsync();
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    async Task<ArtifactKey> OrphanAsync(DateTimeOffset at)
    {
        var key = ArtifactKey.Create("demo", Guid.NewGuid(), at);
        await using var write = await scenario.Store.BeginWriteAsync(key, CancellationToken.None);
        await write.Content.WriteAsync(new byte[64]);
        await write.CommitAsync(CancellationToken.None);
        return key;
    }

    string Leftover(string name, DateTimeOffset writtenAt)
    {
        var path = Path.Combine(scenario.System.StoreRoot, "demo", "2026", "11", $".{name}.dump.zst.partial-0123456789abcdef");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[16]);
        File.SetLastWriteTimeUtc(path, writtenAt.UtcDateTime);
        return path;
    }

    [Fact]
    public async Task Old_orphans_and_leftovers_are_removed_and_fresh_ones_kept()
    {
        var oldOrphan = await OrphanAsync(Now.AddDays(-2));
        var freshOrphan = await OrphanAsync(Now.AddHours(-1));
        var oldLeftover = Leftover("old", Now.AddDays(-2));
        var freshLeftover = Leftover("fresh", Now.AddMinutes(-5));
        var retention = await scenario.StartRetentionAsync();
        using var metrics = new RecordedMetrics(retention);

        var report = await RetentionScenario.SweepAsync(retention);

        Assert.Equal((1, 1, 0), (report.Orphans, report.Leftovers, report.Expired));
        Assert.False(File.Exists(Path.Combine(scenario.System.StoreRoot, oldOrphan.Value)));
        Assert.True(File.Exists(Path.Combine(scenario.System.StoreRoot, freshOrphan.Value)));
        Assert.False(File.Exists(oldLeftover));
        Assert.True(File.Exists(freshLeftover));
        Assert.All(scenario.Backups, b => Assert.True(b.InStore && File.Exists(b.ManifestPath)));
        var states = await scenario.StatesAsync();
        Assert.All(scenario.Backups, b => Assert.Equal(BackupRunStates.Completed, states[b.RunId]));

        // The one orphan removed is counted as such; a leftover of an interrupted write is not an artifact.
        var deleted = Assert.Single(metrics.Of(RetentionMetrics.DeletedName));
        Assert.Equal((1d, "demo", "orphan"), (deleted.Value, deleted.Tag("backup.source"), deleted.Tag("backup.reason_code")));
    }
}
