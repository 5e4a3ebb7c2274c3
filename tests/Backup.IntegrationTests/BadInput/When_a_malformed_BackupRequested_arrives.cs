using System.Text.Json;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.BadInput;

/// <summary>
/// A BackupRequested without a source, and one that is not JSON at all: neither runs anything, both are kept in the
/// dumper's error queue with the reason, and a good request right after them still completes.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_malformed_BackupRequested_arrives(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid missingSource = Guid.NewGuid();
    readonly Guid good = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupRequested"],
             "message":{"runId":"{{missingSource}}","requestedAt":"{{DateTimeOffset.UtcNow:O}}","requestedBy":"test" } }
            """);
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", "this is not json {");
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupRequested"],
             "message":{"runId":"{{good}}","source":"demo","requestedAt":"{{DateTimeOffset.UtcNow:O}}","requestedBy":"test" } }
            """);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_keeps_both_in_the_error_queue_and_still_runs_the_good_request()
    {
        await system.WaitForStateAsync(good, Backup.Database.BackupRunStates.Completed);

        var kept = new List<string>();
        await Eventually.True(async () =>
        {
            if (await rabbit.GetAsync("dump-database_error") is { } message) kept.Add(message);
            return kept.Count >= 2;
        }, "two messages in dump-database_error");

        Assert.Contains(kept, m => m.Contains(missingSource.ToString()));
        Assert.Contains(kept, m => m.Contains("this is not json"));
        Assert.Null(await system.RunAsync(missingSource));
        Assert.Single(Directory.EnumerateFiles(system.StoreRoot, "*.dump.zst", SearchOption.AllDirectories));
        Assert.Single(Directory.EnumerateFiles(system.StoreRoot, "*.manifest.json", SearchOption.AllDirectories));
    }
}
