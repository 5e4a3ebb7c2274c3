using System.Net;
using System.Security.Cryptography;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.IntegrationTests.Notifying;
using Backup.ServiceDefaults;
using Backup.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Npgsql;

namespace Backup.IntegrationTests.Outages;

/// <summary>
/// The catalog database refuses connections (ALLOW_CONNECTIONS false and its sessions terminated: SQLSTATE 55000)
/// for 80 s, longer than the old retries (the saga's ~6 s, the job intake's ~50 s), with the catalog, dumper,
/// notifier and retention running. Meanwhile one run's pg_dump finishes (its artifact waits, uncommitted and
/// unreported, for the claim's fencing check, which the database must answer) and another backup is requested (its
/// BackupRequested waits in the saga and the dumper's intake). The catalog and the dumper report not ready while it
/// lasts. Once the database is back: both runs Delivered, each dumped once, with who asked and when, its artifact in
/// the store and one backup email with that artifact attached; no failure email; not one message in any _error
/// queue; ready again.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_catalog_database_is_down_for_a_while(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly TimeSpan Outage = TimeSpan.FromSeconds(80);

    readonly Guid dumpedDuringOutage = Guid.NewGuid(), requestedDuringOutage = Guid.NewGuid();
    readonly DateTimeOffset firstRequestedAt = DateTimeOffset.UtcNow.AddSeconds(-1), secondRequestedAt = DateTimeOffset.UtcNow;
    BackupSystem system = null!;
    WebApplication catalog = null!, dumper = null!;
    bool catalogNotReadyDuringOutage, dumperNotReadyDuringOutage;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        catalog = await system.StartCatalog();
        dumper = await system.StartDumper();
        await system.StartNotifier();
        await system.StartRetention();
    }

    public async Task DisposeAsync()
    {
        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS true");
        await system.DisposeAsync();
    }

    /// <summary>One scenario, one fact: the outage takes 80 s, too long to live through once per assertion.</summary>
    [Fact]
    public async Task Nothing_is_lost_nothing_is_dead_lettered_and_no_false_alert_is_sent()
    {
        await LiveThroughTheOutageAsync();

        await AssertEveryRunDeliveredWithWhoAskedAndWhenAndItsArtifactEmailedOnceAsync();
        AssertNoFailureOrAlertEmail();
        await AssertNoMessageInAnErrorQueueAsync();
        await AssertNotReadyDuringTheOutageAndReadyAfterItAsync();
    }

    async Task LiveThroughTheOutageAsync()
    {
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var completed = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");

        await using (var blocker = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase)))
        {
            // The first run's dump waits on a table lock until the outage has begun.
            await blocker.OpenAsync();
            await using var hold = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", blocker, hold))
                await lockTable.ExecuteNonQueryAsync();
            await rabbit.RequestBackupAsync(dumpedDuringOutage, "demo", firstRequestedAt);
            await system.WaitForStateAsync(dumpedDuringOutage, BackupRunStates.Running);

            await RefuseConnectionsAsync();
            var outageEnds = DateTime.UtcNow + Outage;
            await rabbit.RequestBackupAsync(requestedDuringOutage, "demo", secondRequestedAt);
            await hold.RollbackAsync(); // pg_dump goes on and ends while the catalog database is away

            catalogNotReadyDuringOutage = await NotReadyAsync(catalog);
            dumperNotReadyDuringOutage = await NotReadyAsync(dumper);
            var left = outageEnds - DateTime.UtcNow;
            if (left > TimeSpan.Zero) await Task.Delay(left); // the outage's length, the scenario itself: not a wait for a result
        }
        // The dump could not confirm its claim (the fencing check) while the database was away: it waited, and
        // nothing of it became visible unconfirmed; it goes on, once, when the database answers (Attempts stays 1).
        Assert.DoesNotContain(completed, m => m.GetProperty("runId").GetGuid() == dumpedDuringOutage);
        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS true");

        await system.WaitForStateAsync(dumpedDuringOutage, BackupRunStates.Delivered, TimeSpan.FromSeconds(90));
        await system.WaitForStateAsync(requestedDuringOutage, BackupRunStates.Delivered, TimeSpan.FromSeconds(90));
    }

    async Task AssertEveryRunDeliveredWithWhoAskedAndWhenAndItsArtifactEmailedOnceAsync()
    {
        foreach (var (runId, requestedAt) in new[] { (dumpedDuringOutage, firstRequestedAt), (requestedDuringOutage, secondRequestedAt) })
        {
            var run = (await system.RunAsync(runId))!;
            Assert.Equal("test", run.RequestedBy);
            Assert.Equal(requestedAt.ToUnixTimeMilliseconds(), run.RequestedAt!.Value.ToUnixTimeMilliseconds());

            var store = new FileSystemArtifactStore(Microsoft.Extensions.Options.Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
            await using (var artifact = await store.OpenReadAsync(ArtifactKey.Parse(run.ArtifactKey!), CancellationToken.None))
                Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact)));

            await using (var db = system.Catalog())
                Assert.Equal(1, (await db.Jobs.AsNoTracking().SingleAsync(j => j.Kind == "dump" && j.Key == runId.ToString("N"))).Attempts);

            var email = Assert.Single(system.Mail.Messages, m => m.IsAbout(runId));
            Assert.Equal([run.Sha256!], await AttachmentHashesAsync(email));
        }
    }

    void AssertNoFailureOrAlertEmail()
    {
        Assert.Equal(2, system.Mail.Messages.Count);
        Assert.All(system.Mail.Messages, m => Assert.Contains("backup completed", m.Subject));
    }

    async Task AssertNoMessageInAnErrorQueueAsync()
    {
        var queues = await system.Broker.QueueDepthsAsync(system.VirtualHost);
        Assert.DoesNotContain(queues, q => q.Key.EndsWith("_error", StringComparison.Ordinal) && q.Value > 0);
    }

    async Task AssertNotReadyDuringTheOutageAndReadyAfterItAsync()
    {
        Assert.True(catalogNotReadyDuringOutage, "the catalog reported ready while its database refused connections");
        Assert.True(dumperNotReadyDuringOutage, "the dumper reported ready while the catalog database refused connections");
        foreach (var app in new[] { catalog, dumper })
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await Eventually.True(async () => (await http.GetAsync(BackupHostDefaults.ReadyPath)).StatusCode == HttpStatusCode.OK,
                "/health/ready to report 200 again");
        }
    }

    /// <summary>What an operator's maintenance or a failover does to the catalog: new connections refused (55000), open ones ended.</summary>
    async Task RefuseConnectionsAsync()
    {
        await system.Postgres.ExecuteAsync("postgres", $"ALTER DATABASE \"{system.CatalogDatabase}\" ALLOW_CONNECTIONS false");
        await system.Postgres.ExecuteAsync("postgres",
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{system.CatalogDatabase}' AND pid <> pg_backend_pid()");
    }

    static async Task<bool> NotReadyAsync(WebApplication app)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        try
        {
            await Eventually.True(async () => (await http.GetAsync(BackupHostDefaults.ReadyPath)).StatusCode == HttpStatusCode.ServiceUnavailable,
                "/health/ready to report 503", TimeSpan.FromSeconds(20));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    static async Task<List<string>> AttachmentHashesAsync(MimeMessage email)
    {
        var hashes = new List<string>();
        foreach (var attachment in email.Attachments.OfType<MimePart>())
        {
            using var decoded = new MemoryStream();
            await attachment.Content!.DecodeToAsync(decoded);
            hashes.Add(Convert.ToHexStringLower(SHA256.HashData(decoded.ToArray())));
        }
        return hashes;
    }
}
