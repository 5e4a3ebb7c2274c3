using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// 40 days of daily runs of "demo" whose last 35 failed: the 5 good backups are 35 to 39 days old, all past the
/// default 30 days. The floor (Retention:KeepLast, 3 by default) keeps the newest three good ones whatever their age.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_last_35_of_40_daily_backups_failed(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    RetentionScenario scenario = null!;

    public async Task InitializeAsync()
    {
        scenario = await RetentionScenario.CreateAsync(infrastructure, Now);
        for (var age = 0; age < 40; age++)
            await scenario.AddAsync("demo", Now.Date.AddHours(2).AddDays(-age), successful: age >= 35);
        await scenario.WaitUntilCatalogedAsync();
        var retention = await scenario.StartRetentionAsync();
        await RetentionScenario.SweepAsync(retention);
        await scenario.WaitUntilExpiredAsync(scenario.Backups.Where(b => b.Successful).OrderByDescending(b => b.CompletedAt).Skip(3));
    }

    public Task DisposeAsync() => scenario.DisposeAsync().AsTask();

    [Fact]
    public async Task The_newest_three_good_backups_stay_and_only_the_two_older_ones_go()
    {
        var runs = await scenario.RunsAsync();
        var good = scenario.Backups.Where(b => b.Successful).OrderByDescending(b => b.CompletedAt).ToList();
        Assert.Equal(5, good.Count);
        Assert.All(good.Take(3), b =>
        {
            Assert.Equal(BackupRunStates.Completed, runs[b.RunId].CurrentState);
            Assert.True(b.InStore, $"{b.Key} is one of the last good backups and must stay");
        });
        Assert.All(good.Skip(3), b =>
        {
            Assert.Equal(BackupRunStates.Expired, runs[b.RunId].CurrentState);
            Assert.StartsWith("age: completed", runs[b.RunId].ExpiryReason);
            Assert.False(b.InStore);
        });
        Assert.All(scenario.Backups.Where(b => !b.Successful), b => Assert.Equal(BackupRunStates.Failed, runs[b.RunId].CurrentState));
    }
}
