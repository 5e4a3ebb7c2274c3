using System.Net;
using Backup.Catalog;
using Backup.Dumper;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Backup.Notifier;
using Backup.Restorer;
using Backup.Retention;
using Backup.Scheduler;
using Backup.ServiceDefaults;
using Microsoft.Extensions.Hosting;

namespace Backup.IntegrationTests.Health;

/// <summary>
/// Ready means "can do its job now". Every service reaches the broker through a link the test cuts: while it is cut,
/// each one's /health/ready answers 503 Unhealthy ("bus: Unhealthy"), including the two that only publish (the
/// scheduler and the API); once the link is open again, each answers 200. The broker itself stays up for other tests.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_broker_goes_away(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    BrokerLink link = null!;
    ApiHost api = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        link = new BrokerLink(system.Broker);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
        await link.DisposeAsync();
    }

    void ThroughTheLink(Dictionary<string, string?> settings)
    {
        settings["RabbitMq:Host"] = "127.0.0.1";
        settings["RabbitMq:Port"] = link.Port.ToString();
        settings["Health:ReportInterval"] = "00:00:01";
    }

    [Fact]
    public async Task Every_service_is_not_ready_until_it_is_back()
    {
        var services = new (string Name, Action<IHostApplicationBuilder> Add)[]
        {
            ("Backup.Catalog", b => b.AddCatalog()), ("Backup.Dumper", b => b.AddDumper()),
            ("Backup.Notifier", b => b.AddNotifier()), ("Backup.Retention", b => b.AddRetention()),
            ("Backup.Scheduler", b => b.AddScheduler()), ("Backup.Restorer", b => b.AddRestorer()),
        };
        var clients = new List<(string Name, HttpClient Http)>();
        var gauges = new List<(string Name, RecordedMetrics Metrics)>();
        foreach (var (name, add) in services)
        {
            var app = await system.StartAsync(name, add, ThroughTheLink); // waits for 200
            clients.Add((name, new HttpClient { BaseAddress = new Uri(app.Urls.First()) }));
            gauges.Add((name, new RecordedMetrics(app)));
        }
        api = new ApiHost(system, ThroughTheLink);
        clients.Add(("Backup.Api", api.CreateClient()));
        await AllAsync(clients, r => r.Code == HttpStatusCode.OK && r.Status == "Healthy", "200 Healthy");
        await ReadyGaugesAsync(gauges, 1);

        link.Cut();
        await AllAsync(clients, r => r.Code == HttpStatusCode.ServiceUnavailable && r.Status == "Unhealthy"
                                     && r.Body.Contains("bus: Unhealthy: ", StringComparison.Ordinal), "503 Unhealthy naming the bus");
        await ReadyGaugesAsync(gauges, 0);

        link.Open();
        await AllAsync(clients, r => r.Code == HttpStatusCode.OK && r.Status == "Healthy", "200 Healthy again");
        await ReadyGaugesAsync(gauges, 1);
        foreach (var (_, http) in clients) http.Dispose();
        foreach (var (_, metrics) in gauges) metrics.Dispose();
    }

    static async Task ReadyGaugesAsync(List<(string Name, RecordedMetrics Metrics)> gauges, double expected)
    {
        foreach (var (name, metrics) in gauges)
            await Eventually.True(() => Task.FromResult(metrics.Observe(ReadinessMetrics.ReadyName) is [.., var last] && last.Value == expected),
                $"{name}'s {ReadinessMetrics.ReadyName} to say {expected}");
    }

    static async Task AllAsync(List<(string Name, HttpClient Http)> clients, Func<Readiness, bool> expected, string what)
    {
        foreach (var (name, http) in clients)
        {
            Readiness? last = null;
            try
            {
                await Eventually.True(async () => expected(last = await Readiness.Of(http)), $"{name}'s /health/ready to answer {what}");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} Last answer: {last}", e);
            }
        }
    }
}
