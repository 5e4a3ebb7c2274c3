using System.Security.Cryptography;
using Backup.Catalog;
using Backup.Database;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using Backup.Retention;
using Backup.Retention.Cleanup;
using Backup.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backup.IntegrationTests.Retention;

/// <summary>A backup the scenario put in the store and the catalog: where its artifact and manifest are, and whether it succeeded.</summary>
public sealed record SeededBackup(Guid RunId, string Source, DateTimeOffset CompletedAt, bool Successful, ArtifactKey Key, string Path, string ManifestPath)
{
    public bool InStore => File.Exists(Path);
}

/// <summary>
/// A test's system for retention: the real catalog service (saga, outbox dispatcher) on the real broker and database,
/// backups written to the real store folder by the real <see cref="FileSystemArtifactStore"/> (artifact, then
/// manifest) and announced with BackupCompleted (or BackupFailed, with no artifact), and retention services on a
/// <see cref="FakeTimeProvider"/> whose sweeps the test runs when it chooses.
/// </summary>
public sealed class RetentionScenario : IAsyncDisposable
{
    RetentionScenario(BackupSystem system, DateTimeOffset now, RawRabbit rabbit, Dictionary<string, string?> policy)
    {
        System = system;
        Clock = new FakeTimeProvider(now);
        this.rabbit = rabbit;
        Policy = policy;
        Store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), Clock);
    }

    readonly RawRabbit rabbit;

    public BackupSystem System { get; }
    public FakeTimeProvider Clock { get; }
    public FileSystemArtifactStore Store { get; }
    public Dictionary<string, string?> Policy { get; }
    public List<SeededBackup> Backups { get; } = [];

    /// <summary>Now, to the minute, so that the API (on the real clock, for its tokens) decides at nearly the same instant.</summary>
    public static DateTimeOffset RealNow()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
    }

    public static async Task<RetentionScenario> CreateAsync(TestInfrastructure infrastructure, DateTimeOffset now,
        Dictionary<string, string?>? policy = null)
    {
        // Without the migrator's topology: the retention service's queue is declared when a test starts it, so the
        // seeded backups' BackupCompleted don't each sweep at its start; the tests sweep when they mean to.
        var system = await BackupSystem.CreateAsync(infrastructure, runMigrator: false);
        await system.StartCatalog(settings => settings["Catalog:OutboxPollInterval"] = "00:00:00.200");
        return new RetentionScenario(system, now, await RawRabbit.ConnectAsync(system), policy ?? []);
    }

    /// <summary>A backup of <paramref name="source"/> completed at <paramref name="completedAt"/>: stored and announced, or (not successful) only failed.</summary>
    public async Task<SeededBackup> AddAsync(string source, DateTimeOffset completedAt, bool successful = true)
    {
        var runId = Guid.NewGuid();
        var key = ArtifactKey.Create(source, runId, completedAt.AddMinutes(-1));
        var backup = new SeededBackup(runId, source, completedAt, successful, key,
            Path.Combine(System.StoreRoot, key.Value), Path.Combine(System.StoreRoot, key.ManifestPath));
        Backups.Add(backup);
        if (!successful)
        {
            await rabbit.PublishEventAsync(new BackupFailed
            {
                RunId = runId, Source = source, FailedAt = completedAt, ErrorCode = "ConnectionFailed", Reason = "the source refused the connection",
            });
            return backup;
        }

        var bytes = RandomNumberGenerator.GetBytes(512);
        await using (var write = await Store.BeginWriteAsync(key, CancellationToken.None))
        {
            await write.Content.WriteAsync(bytes);
            await write.CommitAsync(CancellationToken.None);
        }
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await Store.WriteManifestAsync(new ArtifactManifest
        {
            RunId = runId, Source = source, ArtifactKey = key.Value, Format = "pg_dump-custom+zstd",
            StartedAt = completedAt.AddMinutes(-1), CompletedAt = completedAt, Database = source, ServerVersion = "15.0",
            PgDumpVersion = "15.0", Tables = [], RawSizeBytes = 1024, StoredSizeBytes = bytes.Length,
            Compression = new ManifestCompression("zstd", 3), Sha256 = sha256,
        }, CancellationToken.None);
        await rabbit.PublishEventAsync(new BackupCompleted
        {
            RunId = runId, Source = source, StartedAt = completedAt.AddMinutes(-1), CompletedAt = completedAt,
            ArtifactKey = key.Value, SizeBytes = bytes.Length, Sha256 = sha256, Format = "pg_dump-custom+zstd",
        });
        return backup;
    }

    /// <summary>Waits until the catalog lists every seeded backup as Completed or Failed.</summary>
    public Task WaitUntilCatalogedAsync() => Eventually.True(async () =>
    {
        var states = await StatesAsync();
        return Backups.All(b => states.GetValueOrDefault(b.RunId) == (b.Successful ? BackupRunStates.Completed : BackupRunStates.Failed));
    }, "every seeded backup to be Completed or Failed in the catalog", TimeSpan.FromSeconds(120));

    public async Task<Dictionary<Guid, string>> StatesAsync()
    {
        await using var catalog = System.Catalog();
        return await catalog.BackupRuns.AsNoTracking().ToDictionaryAsync(r => r.CorrelationId, r => r.CurrentState);
    }

    public async Task<Dictionary<Guid, BackupRun>> RunsAsync()
    {
        await using var catalog = System.Catalog();
        return await catalog.BackupRuns.AsNoTracking().ToDictionaryAsync(r => r.CorrelationId);
    }

    /// <summary>The configuration of a retention service (or the API) of this scenario: the system's, with the policy.</summary>
    public void Configure(Dictionary<string, string?> settings)
    {
        foreach (var (key, value) in Policy) settings[key] = value;
    }

    /// <summary>A retention service on the scenario's clock; <paramref name="services"/> may replace its parts (a store that fails).</summary>
    public Task<WebApplication> StartRetentionAsync(Action<IServiceCollection>? services = null) =>
        System.StartAsync("Backup.Retention", b => b.AddRetention(), Configure, s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            services?.Invoke(s);
        });

    /// <summary>One sweep of <paramref name="retention"/>, as its timer or a BackupCompleted would run it.</summary>
    public static async Task<SweepReport> SweepAsync(WebApplication retention)
    {
        await using var scope = retention.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionSweep>().RunAsync(CancellationToken.None);
    }

    /// <summary>Waits until the catalog lists exactly <paramref name="expired"/> of the seeded runs as Expired.</summary>
    public Task WaitUntilExpiredAsync(IEnumerable<SeededBackup> expired)
    {
        var ids = expired.Select(b => b.RunId).ToHashSet();
        return Eventually.True(async () =>
        {
            var states = await StatesAsync();
            return ids.All(id => states[id] == BackupRunStates.Expired);
        }, $"{ids.Count} runs to become Expired", TimeSpan.FromSeconds(120));
    }

    /// <summary>How many BackupExpired the catalog's outbox holds for each run.</summary>
    public async Task<Dictionary<Guid, int>> ExpiryEventsAsync()
    {
        await using var catalog = System.Catalog();
        var runIds = await catalog.Database.SqlQueryRaw<Guid>(
                "SELECT (payload->>'runId')::uuid AS \"Value\" FROM outbox_messages WHERE message_type = 'Backup.Contracts.BackupExpired'")
            .ToListAsync();
        return runIds.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
    }

    public async ValueTask DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await System.DisposeAsync();
    }
}
