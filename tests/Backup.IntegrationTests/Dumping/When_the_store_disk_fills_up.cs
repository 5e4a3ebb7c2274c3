using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// The store is on a 16 MB filesystem of its own (deploy/local/infra.sh mounts it). A first backup fits; then the
/// source grows past what the disk holds. The second backup fails at once (a full disk is not transient) with
/// StorageFailed and a reason about free space, the partial file is gone, and the first backup is untouched.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_store_disk_fills_up(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly Guid firstRun = Guid.NewGuid(), secondRun = Guid.NewGuid();
    readonly string storeRoot = Path.Combine(Environment.GetEnvironmentVariable("BACKUP_SMALL_DISK") ?? "", $"store-{Guid.NewGuid():N}");
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    ConcurrentQueue<JsonElement> failures = null!;
    FileSystemArtifactStore store = null!;
    ArtifactKey firstKey = null!;
    string firstSha256 = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("BACKUP_SMALL_DISK") is not { Length: > 0 }) return;
        system = await BackupSystem.CreateAsync(infrastructure);
        store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = storeRoot }), TimeProvider.System);
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Storage:Root"] = storeRoot);
        rabbit = await RawRabbit.ConnectAsync(system);
        failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");

        await rabbit.RequestBackupAsync(firstRun, "demo");
        firstKey = ArtifactKey.Parse((await system.WaitForStateAsync(firstRun, BackupRunStates.Completed)).ArtifactKey!);
        firstSha256 = await Sha256Async(firstKey);

        // About 40 MB of hex text: zstd gets it to roughly half, still more than the disk has left.
        await system.Postgres.ExecuteAsync(system.SourceDatabase, $"""
            CREATE TABLE public.bulk (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.bulk SELECT g, md5(g::text) || md5((g * 3)::text) || md5((g * 7)::text) FROM generate_series(1, 400000) g;
            ALTER TABLE public.bulk OWNER TO "{system.SourceRole}";
            """);
        await rabbit.RequestBackupAsync(secondRun, "demo");
        await system.WaitForStateAsync(secondRun, BackupRunStates.Failed, TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        if (system is null) return;
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        if (Directory.Exists(storeRoot)) Directory.Delete(storeRoot, recursive: true);
    }

    async Task<string> Sha256Async(ArtifactKey key)
    {
        await using var artifact = await store.OpenReadAsync(key, CancellationToken.None);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact));
    }

    [SmallDiskFact]
    public async Task The_backup_fails_at_once_with_StorageFailed_and_a_reason_about_free_space()
    {
        var failed = Assert.Single(failures, m => m.GetProperty("runId").GetGuid() == secondRun);
        Assert.Equal("StorageFailed", failed.GetProperty("errorCode").GetString());
        Assert.Contains("Check free space", failed.GetProperty("reason").GetString());
        Assert.Contains("Older backups were not touched", failed.GetProperty("reason").GetString());
        await using var catalog = system.Catalog();
        var job = await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == "dump" && j.Key == secondRun.ToString("N"));
        Assert.Equal(1, job.Attempts); // not retried: a full disk does not empty itself
    }

    [SmallDiskFact]
    public void Nothing_of_the_failed_backup_is_left_on_the_disk()
    {
        var files = Directory.EnumerateFiles(storeRoot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(storeRoot, f));
        Assert.Equal(string.Join("\n", new[] { firstKey.ManifestPath, firstKey.Value }.Order()), string.Join("\n", files.Order()));
    }

    [SmallDiskFact]
    public async Task The_earlier_backup_is_whole_and_still_matches_its_manifest()
    {
        Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
        var manifest = await store.ReadManifestAsync(firstKey, CancellationToken.None);
        Assert.Equal(firstRun, manifest!.RunId);
        Assert.Equal(manifest.Sha256, firstSha256);
        Assert.Equal(manifest.Sha256, await Sha256Async(firstKey));
    }
}

/// <summary>A fact that needs the small filesystem of deploy/local/infra.sh (mounted when it runs as root), skipped with the reason otherwise.</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("BACKUP_SMALL_DISK") is not { Length: > 0 })
            Skip = "BACKUP_SMALL_DISK is not set: deploy/local/infra.sh mounts a 16 MB tmpfs for this test only when it runs as root (deploy/local/test.sh in CI does).";
    }
}
