using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database.Jobs;
using Backup.Database.Retention;
using Backup.Contracts;
using Backup.Restorer.Consumers;
using Backup.Restorer.Options;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Backup.Restorer.Tests.Consumers;

/// <summary>
/// The consumer and the restore job as AddRestorer registers them, on MassTransit's in-memory harness, with a real
/// store folder and a restore server that does not answer (port 1): every outcome that comes before a database is
/// reached. Requests the consumer refuses never reach the jobs table; the others are run as their job would be
/// (the claim itself is tested on a real database in the integration tests).
/// </summary>
sealed class RestorerConsumerUnderTest : IAsyncDisposable
{
    public const string Password = "s3cret-restore-password";

    readonly IHost host;

    RestorerConsumerUnderTest(IHost host, string root)
    {
        this.host = host;
        Root = root;
        Harness = host.Services.GetRequiredService<ITestHarness>();
        Store = host.Services.GetRequiredService<IArtifactStore>();
    }

    public string Root { get; }

    public ITestHarness Harness { get; }

    public IArtifactStore Store { get; }

    public static async Task<RestorerConsumerUnderTest> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("backup-restorer-store-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = root,
            ["Restore:Host"] = "127.0.0.1",
            ["Restore:Port"] = "1",
            ["Restore:Username"] = "restorer",
            ["Restore:Password"] = Password,
        });
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero)));
        builder.AddValidatedOptions<RestoreOptions>();
        builder.AddArtifactStore();
        builder.Services.AddSingleton<RestorerSetup>();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<RestorerMetrics>();
        // Refused requests never touch the jobs table: a catalog database that isn't there proves it.
        builder.Services.AddSingleton(services => new JobQueue(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1"),
            services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IPendingDeletions, NoPendingDeletions>();
        builder.Services.AddScoped<RestoreArtifactJob>();
        builder.Services.AddMassTransitTestHarness(bus => bus.AddConsumer<RestoreArtifactConsumer, RestoreArtifactConsumerDefinition>());
        var host = builder.Build();
        await host.StartAsync();
        return new RestorerConsumerUnderTest(host, root);
    }

    /// <summary>Stores <paramref name="bytes"/> under a new key with a manifest that matches them.</summary>
    public async Task<ArtifactKey> AddAsync(byte[] bytes, ArtifactEncoding encoding = ArtifactEncoding.Zstd, long? rawSize = null)
    {
        var runId = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);
        var key = ArtifactKey.Create("demo", runId, at, encoding);
        await using (var write = await Store.BeginWriteAsync(key, CancellationToken.None))
        {
            await write.Content.WriteAsync(bytes);
            await write.CommitAsync(CancellationToken.None);
        }
        await Store.WriteManifestAsync(new ArtifactManifest
        {
            RunId = runId,
            Source = "demo",
            ArtifactKey = key.Value,
            Format = "pg_dump-custom+zstd",
            StartedAt = at,
            CompletedAt = at.AddSeconds(3),
            Database = "demo_app",
            ServerVersion = "15.0",
            PgDumpVersion = "pg_dump (PostgreSQL) 15.0",
            Tables = [new ManifestTable("public", "orders", 2000)],
            RawSizeBytes = rawSize ?? bytes.Length,
            StoredSizeBytes = bytes.Length,
            Compression = new ManifestCompression("zstd", 3),
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        }, CancellationToken.None);
        return key;
    }

    public string PathOf(ArtifactKey key) => Path.Combine(Root, key.Value);

    /// <summary>Publishes a request the consumer must refuse and returns the RestoreFailed it published.</summary>
    public async Task<RestoreFailed> RefusalOf(string artifactKey, string? targetDatabase = "restored_demo")
    {
        var request = Request(artifactKey, targetDatabase, overwrite: false);
        await Harness.Bus.Publish(request);
        return await OutcomeAsync(request.RestoreId);
    }

    /// <summary>Runs the restore job of a request and returns the RestoreFailed it published.</summary>
    public async Task<RestoreFailed> FailureOf(string artifactKey, string targetDatabase = "restored_demo", bool overwrite = false)
    {
        var request = Request(artifactKey, targetDatabase, overwrite);
        var payload = JsonSerializer.Serialize(new RestoreJobPayload(request, targetDatabase, DateTimeOffset.UtcNow), JsonSerializerOptions.Web);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var job = scope.ServiceProvider.GetRequiredService<RestoreArtifactJob>();
            var outcome = await job.RunAsync(new ClaimedJob(RestoreArtifactJob.Kind, RestoreArtifactJob.KeyOf(request), payload, 1, null, "test", 1),
                CancellationToken.None);
            Assert.IsType<JobOutcome.Finished>(outcome);
        }
        return await OutcomeAsync(request.RestoreId);
    }

    static RestoreRequested Request(string artifactKey, string? targetDatabase, bool overwrite) => new()
    {
        RestoreId = Guid.NewGuid(),
        ArtifactKey = artifactKey,
        TargetDatabase = targetDatabase,
        Overwrite = overwrite,
        RequestedAt = DateTimeOffset.UtcNow,
        RequestedBy = "test",
    };

    async Task<RestoreFailed> OutcomeAsync(Guid restoreId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await Harness.Published.Any<RestoreFailed>(x => x.Context.Message.RestoreId == restoreId, deadline.Token),
            "RestoreFailed was not published in time.");
        Assert.False(await Harness.Published.Any<RestoreCompleted>(x => x.Context.Message.RestoreId == restoreId, new CancellationToken(canceled: true)));
        Assert.Empty(Harness.Published.Select<Fault<RestoreRequested>>(new CancellationToken(canceled: true)));
        return Harness.Published.Select<RestoreFailed>(x => x.Context.Message.RestoreId == restoreId, new CancellationToken(canceled: true))
            .Single().Context.Message;
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

public class When_a_RestoreRequested_cannot_be_restored
{
    /// <summary>The size of the pg_dump archive in Fixtures/orders-2000.dump.zst, decompressed.</summary>
    const long OrdersArchiveBytes = 41_397;

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst/../x")]
    [InlineData("")]
    public async Task It_publishes_RestoreFailed_InvalidRequest_for_a_key_the_dumper_did_not_make(string key)
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();

        var failed = await restorer.RefusalOf(key);

        Assert.Equal("InvalidRequest", failed.ErrorCode);
        Assert.Contains("is not an artifact key made by the dumper", failed.Reason);
        Assert.Equal(key, failed.ArtifactKey);
    }

    [Fact]
    public async Task It_refuses_an_all_zero_restore_id_to_the_error_queue_and_reports_nothing()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("PGDMP and more"u8.ToArray());

        await restorer.Harness.Bus.Publish(new RestoreRequested
        {
            RestoreId = Guid.Empty, ArtifactKey = key.Value, TargetDatabase = "restored_demo", RequestedAt = DateTimeOffset.UtcNow, RequestedBy = "test",
        });

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await restorer.Harness.Published.Any<Fault<RestoreRequested>>(deadline.Token), "the request was not refused in time");
        var fault = restorer.Harness.Published.Select<Fault<RestoreRequested>>(deadline.Token).Single().Context.Message;
        Assert.Contains(fault.Exceptions, e => e.ExceptionType.EndsWith(nameof(RefusedMessageException), StringComparison.Ordinal)
            && e.Message.Contains("restoreId is all zeros", StringComparison.Ordinal));
        Assert.False(await restorer.Harness.Published.Any<RestoreFailed>(new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData("Restored", "TargetDatabase 'Restored' is not a plain identifier")]
    [InlineData("template0", "TargetDatabase 'template0' is one of the server's own databases")]
    public async Task It_publishes_RestoreFailed_InvalidRequest_for_a_target_that_is_not_a_plain_new_name(string target, string reason)
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("PGDMP and more"u8.ToArray());

        var failed = await restorer.RefusalOf(key.Value, target);

        Assert.Equal("InvalidRequest", failed.ErrorCode);
        Assert.Contains(reason, failed.Reason);
    }

    [Fact]
    public async Task It_does_not_echo_a_very_long_target_name_whole()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("PGDMP and more"u8.ToArray());

        var failed = await restorer.RefusalOf(key.Value, new string('x', 10_000));

        Assert.Equal("InvalidRequest", failed.ErrorCode);
        Assert.True(failed.Reason.Length < 500, failed.Reason);
    }

    [Fact]
    public async Task It_publishes_ArtifactNotFound_when_the_artifact_is_not_in_the_store()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = ArtifactKey.Create("demo", Guid.NewGuid(), DateTimeOffset.UtcNow);

        var failed = await restorer.FailureOf(key.Value);

        Assert.Equal("ArtifactNotFound", failed.ErrorCode);
        Assert.Contains($"Missing artifact: {key}", failed.Reason);
        Assert.Contains("BackupCompleted.ArtifactKey", failed.Reason);
    }

    [Fact]
    public async Task It_publishes_ManifestMissing_when_the_artifact_has_no_manifest()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("PGDMP and more"u8.ToArray());
        File.Delete(Path.Combine(restorer.Root, key.ManifestPath));

        var failed = await restorer.FailureOf(key.Value);

        Assert.Equal("ManifestMissing", failed.ErrorCode);
        Assert.Contains("Missing manifest", failed.Reason);
    }

    [Fact]
    public async Task It_publishes_IntegrityCheckFailed_when_a_byte_was_flipped()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("PGDMP and more"u8.ToArray());
        var bytes = await File.ReadAllBytesAsync(restorer.PathOf(key));
        bytes[3] ^= 0x10;
        await File.WriteAllBytesAsync(restorer.PathOf(key), bytes);

        var failed = await restorer.FailureOf(key.Value);

        Assert.Equal("IntegrityCheckFailed", failed.ErrorCode);
        Assert.Contains("Hash mismatch", failed.Reason);
    }

    [Fact]
    public async Task It_publishes_DecryptionFailed_for_an_encrypted_artifact_when_no_key_is_configured()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        var key = await restorer.AddAsync("ciphertext"u8.ToArray(), ArtifactEncoding.ZstdOpenPgp);

        var failed = await restorer.FailureOf(key.Value);

        Assert.Equal("DecryptionFailed", failed.ErrorCode);
        Assert.Contains("is encrypted: configure the restorer with Restore:SecretKeyFile", failed.Reason);
    }

    [Fact]
    public async Task It_publishes_ConnectionFailed_when_the_restore_server_does_not_answer_without_saying_the_password()
    {
        await using var restorer = await RestorerConsumerUnderTest.StartAsync();
        // A whole artifact (pg_dump -Fc -Z0 of a table "orders" with 2000 rows, zstd): it passes every check, so
        // the restore gets as far as the server.
        var key = await restorer.AddAsync(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "orders-2000.dump.zst")),
            rawSize: OrdersArchiveBytes);

        var failed = await restorer.FailureOf(key.Value);

        Assert.Equal("ConnectionFailed", failed.ErrorCode);
        Assert.Contains("Could not connect to database postgres on restorer@127.0.0.1:1", failed.Reason);
        Assert.Contains("Restore:Host", failed.Reason);
        Assert.DoesNotContain(RestorerConsumerUnderTest.Password, failed.Reason);
    }
}

/// <summary>No artifact is being deleted (retention's side is tested in Backup.IntegrationTests.Retention).</summary>
sealed class NoPendingDeletions : IPendingDeletions
{
    public Task<string?> ReasonAsync(string artifactKey, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
