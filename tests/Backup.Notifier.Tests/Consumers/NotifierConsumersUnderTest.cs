using Backup.Testing;
using System.Security.Cryptography;
using Backup.Contracts;
using Backup.Database;
using Backup.Notifier.Alerts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Drills;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.Notifier.Stale;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Polly;

namespace Backup.Notifier.Tests.Consumers;

/// <summary>
/// The notifier's consumers with their definitions (<see cref="Extensions.AddNotifierConsumers"/>, as AddNotifier
/// registers them) on MassTransit's in-memory harness, a fresh one per scenario, with the pieces they use for real:
/// a fresh catalog database for the deliveries ledger (<see cref="TestCatalog"/>), an artifact store folder, and
/// the pickup-directory mail sender the notifier uses when no Smtp:Host is set, so every email is a .eml file to read.
/// A test may put another <see cref="IMailSender"/> in its place (a mail server that can't be reached).
/// </summary>
sealed class NotifierConsumersUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 24, 2, 30, 0, TimeSpan.Zero);
    public static readonly string[] Administrators = ["ops@example.com", "dba@example.com"];

    readonly IHost host;
    readonly string root;

    NotifierConsumersUnderTest(IHost host, TestCatalog catalog, string root)
    {
        this.host = host;
        this.root = root;
        Catalog = catalog;
        Harness = host.Services.GetRequiredService<ITestHarness>();
        Store = host.Services.GetRequiredService<IArtifactStore>();
    }

    public TestCatalog Catalog { get; }

    public ITestHarness Harness { get; }

    public IArtifactStore Store { get; }

    string Pickup => Path.Combine(root, "mail");

    public static async Task<NotifierConsumersUnderTest> StartAsync(IMailSender? mail = null)
    {
        var catalog = await TestCatalog.CreateAsync("notifier_tests");
        var root = Directory.CreateTempSubdirectory("backup-notifier-consumers-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Catalog"] = catalog.ConnectionString,
            ["Storage:Root"] = Path.Combine(root, "store"),
            ["Notifier:From"] = "backup@example.com",
            ["Notifier:Administrators:0"] = Administrators[0],
            ["Notifier:Administrators:1"] = Administrators[1],
            ["Notifier:PickupDirectory"] = Path.Combine(root, "mail"),
            ["Notifier:RetryDelays:0"] = "00:00:00.010",
        });
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        builder.AddValidatedOptions<NotifierOptions>();
        builder.AddArtifactStore();
        builder.AddCatalogDatabase();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<StaleSources>();
        builder.Services.AddSingleton<NotifierMetrics>();
        if (mail is null)
            builder.Services.AddSingleton<IMailSender, PickupDirectoryMailSender>();
        else
            builder.Services.AddSingleton(mail);
        builder.Services.AddHttpClient(AlertHttp.ClientName);
        builder.Services.AddResiliencePipeline<string, HttpResponseMessage>(AlertHttp.PipelineName,
            pipeline => AlertHttp.Configure(pipeline, TimeSpan.FromMilliseconds(10)));
        builder.Services.AddSingleton<AlertHttp>();
        builder.Services.AddSingleton<WebhookPoster>();
        builder.Services.AddSingleton<HealthchecksPinger>();
        builder.Services.AddSingleton<DeliveryLedger>();
        builder.Services.AddSingleton<MailDelivery>();
        builder.Services.AddSingleton<DrillFacts>();
        // The harness's inactivity ends every wait on it for good once it is first idle that long: under a loaded
        // machine's pauses between two messages of one test, its 1.2 s default ended a wait before the message came (5 s, as the catalog's harness).
        builder.Services.AddMassTransitTestHarness(bus =>
        {
            bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(5));
            bus.AddNotifierConsumers();
        });
        var host = builder.Build();
        await host.StartAsync();
        return new NotifierConsumersUnderTest(host, catalog, root);
    }

    /// <summary>Publishes <paramref name="message"/> and waits until its consumer has handled it <paramref name="times"/> times in all.</summary>
    public async Task<IReadOnlyList<Exception?>> ConsumeAsync<TConsumer, T>(T message, Func<T, Guid> runId, int times = 1)
        where TConsumer : class, IConsumer where T : class
    {
        await Harness.Bus.Publish(message);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var faults = new List<Exception?>();
        await foreach (var consumed in Harness.GetConsumerHarness<TConsumer>().Consumed.SelectAsync<T>(
                           consumed => runId(consumed.Context.Message) == runId(message), deadline.Token))
        {
            faults.Add(consumed.Exception);
            if (faults.Count == times) return faults;
        }
        var seen = Harness.Consumed.Select(_ => true, new CancellationToken(canceled: true))
            .Select(x => $"{x.MessageType.Name}: {x.Exception?.GetType().Name}: {x.Exception?.Message}");
        Assert.Fail($"{typeof(TConsumer).Name} handled the message {faults.Count} of {times} times; the bus consumed: {string.Join("; ", seen)}");
        return faults;
    }

    /// <summary>What was published so far.</summary>
    public List<T> Published<T>() where T : class =>
        Harness.Published.Select<T>(new CancellationToken(canceled: true)).Select(message => message.Context.Message).ToList();

    /// <summary>The emails the notifier handed to the pickup directory, oldest first.</summary>
    public List<MimeMessage> Emails() => Directory.Exists(Pickup)
        ? Directory.GetFiles(Pickup, "*.eml").Order(StringComparer.Ordinal).Select(path => MimeMessage.Load(path)).ToList()
        : [];

    /// <summary>Stores an artifact of <paramref name="size"/> random bytes with its manifest, as the dumper would, and the BackupCompleted that reports it.</summary>
    public async Task<(BackupCompleted Completed, byte[] Bytes)> StoreBackupAsync(int size = 4096)
    {
        var runId = Guid.NewGuid();
        var key = ArtifactKey.Create("demo", runId, Now, ArtifactEncoding.Zstd);
        var bytes = RandomNumberGenerator.GetBytes(size);
        await using (var write = await Store.BeginWriteAsync(key, CancellationToken.None))
        {
            await write.Content.WriteAsync(bytes);
            await write.CommitAsync(CancellationToken.None);
        }
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await Store.WriteManifestAsync(new ArtifactManifest
        {
            RunId = runId,
            Source = "demo",
            ArtifactKey = key.Value,
            Format = "pg_dump-custom+zstd",
            StartedAt = Now.AddSeconds(-42),
            CompletedAt = Now,
            Database = "demo_app",
            ServerVersion = "15.8",
            PgDumpVersion = "15.8",
            Tables = [new ManifestTable("public", "orders", 2000)],
            RawSizeBytes = size * 3L,
            StoredSizeBytes = size,
            Compression = new ManifestCompression("zstd", 3),
            Sha256 = sha256,
        }, CancellationToken.None);
        return (new BackupCompleted
        {
            RunId = runId,
            Source = "demo",
            StartedAt = Now.AddSeconds(-42),
            CompletedAt = Now,
            ArtifactKey = key.Value,
            SizeBytes = size,
            Sha256 = sha256,
            Format = "pg_dump-custom+zstd",
        }, bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await Catalog.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }
}
