using System.Security.Cryptography;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>
/// Storage:Backend=S3 on the real S3-compatible server of deploy/local/infra.sh (s3rver): the dumper streams the
/// backup into the bucket as a multipart upload with its manifest beside it, and the restorer, configured on the same
/// bucket, restores it by event with the source's row counts. Skipped, saying why, without BACKUP_S3_URL.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_store_is_an_S3_bucket(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly string prefix = $"it/{Guid.NewGuid():N}/";
    BackupSystem? system;

    public async Task InitializeAsync()
    {
        if (TestBucket.Url is null) return;
        system = await BackupSystem.CreateAsync(infrastructure);
    }

    public async Task DisposeAsync()
    {
        if (system is not null) await system.DisposeAsync();
    }

    void OnTheBucket(Dictionary<string, string?> settings) => TestBucket.StoreIn(settings, prefix);

    [S3Fact]
    public async Task The_dumper_stores_it_there_and_the_restorer_restores_it_with_the_sources_rows()
    {
        var world = system!;
        await world.StartCatalog();
        await world.StartDumper(OnTheBucket);
        await world.StartRestorer(OnTheBucket);
        await using var rabbit = await RawRabbit.ConnectAsync(world);
        var outcomes = await RestoreOutcomes.ListenAsync(rabbit);

        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        var run = await world.WaitForStateAsync(runId, BackupRunStates.Completed);

        // The object in the bucket is the artifact: its bytes hash to the catalog's SHA-256, and its manifest is beside it.
        var key = ArtifactKey.Parse(run.ArtifactKey);
        using var bucket = TestBucket.Client();
        using (var artifact = await bucket.GetObjectAsync(TestBucket.Name, prefix + key.Value))
            Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact.ResponseStream)));
        using (var manifest = await bucket.GetObjectAsync(TestBucket.Name, prefix + key.ManifestPath))
            Assert.Equal(System.Net.HttpStatusCode.OK, manifest.HttpStatusCode);

        var target = world.NewDatabaseName();
        var restoreId = Guid.NewGuid();
        await rabbit.RequestRestoreAsync(restoreId, key.Value, target, overwrite: false);
        var outcome = await outcomes.WaitAsync(restoreId);

        Assert.True(outcome.Completed, outcome.ToString());
        foreach (var table in outcome.Message.GetProperty("tables").EnumerateArray())
        {
            var name = $"{table.GetProperty("schema").GetString()}.{table.GetProperty("name").GetString()}";
            var sourceRows = await world.Postgres.ScalarAsync<long>(world.SourceDatabase, $"SELECT count(*) FROM {name}");
            Assert.True(sourceRows > 0, $"the source's {name} was seeded");
            Assert.Equal(sourceRows, table.GetProperty("restoredRows").GetInt64());
            Assert.Equal(sourceRows, await world.Postgres.ScalarAsync<long>(target, $"SELECT count(*) FROM {name}"));
        }
    }
}
