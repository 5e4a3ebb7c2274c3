using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.IntegrationTests.EndToEnd;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Npgsql;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// Split brain: two dumper processes, and the first one's claim is taken over while it dumps. Its heartbeats stop
/// reaching the catalog (the test ages its heartbeat in the jobs table; its own Jobs:HeartbeatInterval is long, so only
/// its fencing checks can find out), the second dumper takes the job over (the claim's generation moves on), and both
/// dump the same source at once (the test holds pg_dump of both on a locked table, then lets them go together). The
/// first stops at its fencing check before committing its artifact and publishes nothing more; the second completes.
/// Exactly one artifact and one manifest, whole, one BackupCompleted, no BackupFailed: on the filesystem store and on
/// an S3 bucket (s3rver).
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_dumpers_claim_is_taken_over_mid_dump(TestInfrastructure infrastructure)
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog", "Storage:S3:SecretKey"];

    [Fact]
    public Task On_the_filesystem_store_only_the_new_holder_stores_and_reports() => SplitBrainAsync(bucketPrefix: null);

    [S3Fact]
    public Task On_an_S3_bucket_only_the_new_holder_stores_and_reports() => SplitBrainAsync(bucketPrefix: $"it/{Guid.NewGuid():N}/");

    async Task SplitBrainAsync(string? bucketPrefix)
    {
        await using var system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");
        var failures = await rabbit.ListenAsync("Backup.Contracts:BackupFailed");
        var runId = Guid.NewGuid();
        var jobKey = JobKinds.KeyOf(runId);
        var settings = system.Configuration("Backup.Dumper");
        settings["Jobs:HeartbeatInterval"] = "00:02:00";
        settings["Jobs:StaleAfter"] = "00:06:00";
        if (bucketPrefix is not null) TestBucket.StoreIn(settings, bucketPrefix);

        await using var source = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase));
        await source.OpenAsync();
        await using (var hold = new NpgsqlCommand("BEGIN; LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", source))
            await hold.ExecuteNonQueryAsync();

        await using var first = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
        await rabbit.RequestBackupAsync(runId, "demo");
        await WaitForDumpsHeldAsync(system, jobKey, generation: 1);

        // The first dumper's heartbeats stop reaching the catalog: to everyone else it looks dead.
        await system.Postgres.ExecuteAsync(system.CatalogDatabase, $"UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE key = '{jobKey}'");
        await using var second = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
        await WaitForDumpsHeldAsync(system, jobKey, generation: 2);
        await source.CloseAsync(); // both pg_dumps go on at once

        var run = await Eventually.Get(async () => await system.RunAsync(runId) is { CurrentState: BackupRunStates.Completed or BackupRunStates.Failed } ended ? ended : null,
            "the run to end");
        await Eventually.True(async () => await system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
            $"SELECT count(*) FROM jobs WHERE key = '{jobKey}' AND state = 'finished' AND generation = 2") == 1, "the second dumper to finish the job");
        // The first dumper's attempt ends: stopped by its fencing check (9003), or, were it not fenced, on trying to
        // settle a job that is no longer its own (9004).
        var firstEnded = await Eventually.Get(() => Task.FromResult(first.Output.FirstOrDefault(line =>
            line.Contains("Lost the claim on dump job", StringComparison.Ordinal) || line.Contains("claim was taken over before its outcome", StringComparison.Ordinal))),
            "the first dumper's attempt to end");

        var stored = bucketPrefix is null ? await OnDiskAsync(system) : await InTheBucketAsync(bucketPrefix);
        Assert.Equal(BackupRunStates.Completed, run.CurrentState);
        var key = ArtifactKey.Parse(run.ArtifactKey);
        Assert.Equal(new[] { key.Value, key.ManifestPath }.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal)); // one artifact, one manifest, nothing else
        var manifest = JsonSerializer.Deserialize<ArtifactManifest>(stored[key.ManifestPath], ArtifactManifest.Contract)!;
        Assert.Equal(runId, manifest.RunId);
        Assert.Equal(manifest.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored[key.Value])));
        Assert.Equal(manifest.Sha256, run.Sha256);
        Assert.Single(completions, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.DoesNotContain(failures, m => m.GetProperty("runId").GetGuid() == runId);
        Assert.Contains("Lost the claim on dump job", firstEnded); // it stopped at a fencing check, before committing anything
    }

    // The job's holder is the given generation, and every dumper's pg_dump waits for the locked table.
    static async Task WaitForDumpsHeldAsync(BackupSystem system, string jobKey, int generation)
    {
        await Eventually.True(async () => await system.Postgres.ScalarAsync<long>(system.CatalogDatabase,
            $"SELECT count(*) FROM jobs WHERE key = '{jobKey}' AND state = 'running' AND generation = {generation}") == 1,
            $"claim generation {generation}");
        await Eventually.True(async () => await system.Postgres.ScalarAsync<long>(system.SourceDatabase,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'backup-dumper' AND wait_event_type = 'Lock'") == generation,
            $"{generation} pg_dump(s) to wait for the locked source table");
    }

    // Every visible file of the store (not the hidden partial writes), by store-relative name, with its bytes.
    static async Task<Dictionary<string, byte[]>> OnDiskAsync(BackupSystem system)
    {
        var files = new Dictionary<string, byte[]>();
        foreach (var file in Directory.EnumerateFiles(system.StoreRoot, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')))
            files[Path.GetRelativePath(system.StoreRoot, file)] = await File.ReadAllBytesAsync(file);
        return files;
    }

    // Every object under the prefix, by prefix-relative name, with its bytes.
    static async Task<Dictionary<string, byte[]>> InTheBucketAsync(string prefix)
    {
        using var bucket = TestBucket.Client();
        var objects = new Dictionary<string, byte[]>();
        var page = await bucket.ListObjectsV2Async(new ListObjectsV2Request { BucketName = TestBucket.Name, Prefix = prefix });
        foreach (var item in page.S3Objects ?? [])
        {
            using var response = await bucket.GetObjectAsync(TestBucket.Name, item.Key);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes);
            objects[item.Key[prefix.Length..]] = bytes.ToArray();
        }
        return objects;
    }
}
