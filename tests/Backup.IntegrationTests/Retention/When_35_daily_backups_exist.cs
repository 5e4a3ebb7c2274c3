using System.Security.Cryptography;
using Backup.Database;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Retention;

/// <summary>
/// 35 daily backups of "demo" (today's and the 34 before) and five of "legacy" that are all 40 to 44 days old.
/// The retention service runs on a clock the test moves; its timer sweep deletes what is older than 30 days, except
/// the newest three good backups of each source (the floor, Retention:KeepLast).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_35_daily_backups_exist(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    readonly FakeTimeProvider clock = new(Now);
    BackupSystem system = null!;
    readonly List<(Guid RunId, string Source, int AgeInDays, string Path)> backups = [];

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await using (var rabbit = await RawRabbit.ConnectAsync(system))
        {
            for (var age = 0; age < 35; age++)
                await Complete(rabbit, "demo", age);
            for (var age = 40; age <= 44; age++)
                await Complete(rabbit, "legacy", age);
        }
        await Eventually.True(async () => await CountAsync(BackupRunStates.Completed) == backups.Count,
            "every backup to be Completed in the catalog");

        await system.StartRetention(clock);
        // The worker's first sweep is due a minute after start: move the clock until it has happened.
        await Eventually.True(async () =>
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            return await CountAsync(BackupRunStates.Expired) >= 7;
        }, "the retention sweep to expire the old backups");
    }

    async Task Complete(RawRabbit rabbit, string source, int ageInDays)
    {
        var runId = Guid.NewGuid();
        var completedAt = Now.Date.AddHours(2).AddDays(-ageInDays);
        var key = ArtifactKey.Create(source, runId, completedAt);
        var path = Path.Combine(system.StoreRoot, key.Value);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = RandomNumberGenerator.GetBytes(1024);
        await File.WriteAllBytesAsync(path, bytes);
        backups.Add((runId, source, ageInDays, path));
        await rabbit.PublishEventAsync(new BackupCompleted
        {
            RunId = runId, Source = source, StartedAt = completedAt.AddMinutes(-1), CompletedAt = completedAt,
            ArtifactKey = key.Value, SizeBytes = bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Format = "pg_dump-custom",
        });
    }

    async Task<int> CountAsync(string state)
    {
        await using var catalog = system.Catalog();
        return await catalog.BackupRuns.CountAsync(r => r.CurrentState == state);
    }

    async Task<Dictionary<Guid, BackupRun>> RunsAsync()
    {
        await using var catalog = system.Catalog();
        return await catalog.BackupRuns.AsNoTracking().ToDictionaryAsync(r => r.CorrelationId);
    }

    public Task DisposeAsync() => system.DisposeAsync().AsTask();

    [Fact]
    public async Task It_keeps_the_newest_30_and_expires_the_5_oldest()
    {
        var runs = await RunsAsync();
        var demo = backups.Where(b => b.Source == "demo").ToList();
        Assert.Equal(demo.Where(b => b.AgeInDays < 30).Select(b => b.RunId).Order(),
            demo.Where(b => runs[b.RunId].CurrentState == BackupRunStates.Completed).Select(b => b.RunId).Order());
        Assert.Equal(demo.Where(b => b.AgeInDays >= 30).Select(b => b.RunId).Order(),
            demo.Where(b => runs[b.RunId].CurrentState == BackupRunStates.Expired).Select(b => b.RunId).Order());
        Assert.All(demo.Where(b => b.AgeInDays >= 30), b => Assert.StartsWith("age:", runs[b.RunId].ExpiryReason));
    }

    [Fact]
    public void It_deletes_exactly_the_expired_artifacts()
    {
        Assert.All(backups.Where(b => b.Source == "demo"), b =>
            Assert.Equal(b.AgeInDays < 30, File.Exists(b.Path)));
    }

    [Fact]
    public async Task It_never_deletes_the_newest_three_successful_backups_of_a_source()
    {
        var runs = await RunsAsync();
        var legacy = backups.Where(b => b.Source == "legacy").OrderBy(b => b.AgeInDays).ToList();
        Assert.All(legacy.Take(3), b =>
        {
            Assert.Equal(BackupRunStates.Completed, runs[b.RunId].CurrentState);
            Assert.True(File.Exists(b.Path), "the newest three legacy backups must survive, however old");
        });
        Assert.All(legacy.Skip(3), b =>
        {
            Assert.Equal(BackupRunStates.Expired, runs[b.RunId].CurrentState);
            Assert.False(File.Exists(b.Path));
        });
    }
}
