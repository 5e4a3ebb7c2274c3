using Backup.Contracts;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.BadInput;

/// <summary>
/// On the BackupRequested exchange: a message of a type nobody consumes (to the _skipped queues), one without a run id
/// (to dump-database_error), and requests for sources named like a path, like a pg_dump option, or 200 characters
/// long (refused: BackupFailed UnknownSource, no dump). A good request right after them still completes, and it is
/// the only dump.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_BackupRequested_is_not_what_it_seems(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid pathLike = Guid.NewGuid();
    readonly Guid optionLike = Guid.NewGuid();
    readonly Guid overlong = Guid.NewGuid();
    readonly Guid good = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupRequestedLater"],
             "message":{"runId":"{{Guid.NewGuid()}}","source":"demo","requestedAt":"{{DateTimeOffset.UtcNow:O}}","requestedBy":"unknown-type" } }
            """);
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupRequested"],
             "message":{"source":"demo","requestedAt":"{{DateTimeOffset.UtcNow:O}}","requestedBy":"no-run-id" } }
            """);
        await rabbit.RequestBackupAsync(pathLike, "../../etc/passwd");
        await rabbit.RequestBackupAsync(optionLike, "--file=/tmp/x");
        await rabbit.RequestBackupAsync(overlong, new string('a', 200));
        await rabbit.RequestBackupAsync(good, "demo");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Each_ends_in_an_error_or_skipped_queue_or_is_refused_and_the_good_request_runs()
    {
        await system.WaitForStateAsync(good, BackupRunStates.Completed);
        foreach (var refused in new[] { pathLike, optionLike, overlong })
            Assert.Equal(BackupErrorCodes.UnknownSource, (await system.WaitForStateAsync(refused, BackupRunStates.Failed)).FailureCode);

        Assert.Contains("unknown-type", Assert.Single(await rabbit.TakeAsync(system, "dump-database_skipped", 1)));
        Assert.Contains("unknown-type", Assert.Single(await rabbit.TakeAsync(system, "backup-run_skipped", 1)));
        Assert.Contains("no-run-id", Assert.Single(await rabbit.TakeAsync(system, "dump-database_error", 1)));
        Assert.Single(Directory.EnumerateFiles(system.StoreRoot, "*.dump.zst", SearchOption.AllDirectories));
    }
}
