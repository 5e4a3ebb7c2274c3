using System.Security.Cryptography;
using Amazon.S3;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Backup.Storage.S3;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>
/// Storage:Backend=S3 on the real S3-compatible server of deploy/local/infra.sh (s3rver): the dumper streams the
/// backup into the bucket as a multipart upload with its manifest beside it, and the restorer, configured on the same
/// bucket, restores it by event with the source's row counts. Skipped, saying why, without BACKUP_S3_URL.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_store_is_an_S3_bucket(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly string? Url = Environment.GetEnvironmentVariable("BACKUP_S3_URL") is { Length: > 0 } url ? url : null;

    readonly string prefix = $"it/{Guid.NewGuid():N}/";
    BackupSystem? system;

    public async Task InitializeAsync()
    {
        if (Url is null) return;
        system = await BackupSystem.CreateAsync(infrastructure);
    }

    public async Task DisposeAsync()
    {
        if (system is not null) await system.DisposeAsync();
    }

    void OnTheBucket(Dictionary<string, string?> settings)
    {
        settings["Storage:Backend"] = "S3";
        settings["Storage:Root"] = null;
        settings["Storage:S3:ServiceUrl"] = Url;
        settings["Storage:S3:Bucket"] = Environment.GetEnvironmentVariable("BACKUP_S3_BUCKET");
        settings["Storage:S3:Prefix"] = prefix;
        settings["Storage:S3:AccessKey"] = Environment.GetEnvironmentVariable("BACKUP_S3_ACCESS_KEY");
        settings["Storage:S3:SecretKey"] = Environment.GetEnvironmentVariable("BACKUP_S3_SECRET_KEY");
        settings["Storage:S3:PartSizeMiB"] = "5";
    }

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
        var s3Options = new S3StorageOptions
        {
            ServiceUrl = Url!,
            Bucket = Environment.GetEnvironmentVariable("BACKUP_S3_BUCKET")!,
            AccessKey = Environment.GetEnvironmentVariable("BACKUP_S3_ACCESS_KEY")!,
            SecretKey = Environment.GetEnvironmentVariable("BACKUP_S3_SECRET_KEY")!,
        };
        using var bucket = S3ClientFactory.Create(s3Options);
        using (var artifact = await bucket.GetObjectAsync(s3Options.Bucket, prefix + key.Value))
            Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact.ResponseStream)));
        using (var manifest = await bucket.GetObjectAsync(s3Options.Bucket, prefix + key.ManifestPath))
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

/// <summary>A fact that needs the S3-compatible server of deploy/local/infra.sh, skipped with the reason when there is none.</summary>
public sealed class S3FactAttribute : FactAttribute
{
    public S3FactAttribute()
    {
        if (Environment.GetEnvironmentVariable("BACKUP_S3_URL") is not { Length: > 0 })
            Skip = "BACKUP_S3_URL is not set: run deploy/local/test.sh, or 'deploy/local/infra.sh up DIR' and 'set -a; . DIR/infra.env; set +a' first.";
    }
}
