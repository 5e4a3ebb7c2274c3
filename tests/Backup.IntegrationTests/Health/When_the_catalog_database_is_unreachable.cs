using System.Net;
using Backup.IntegrationTests.Infrastructure;
using Backup.Retention;
using Backup.ServiceDefaults;

namespace Backup.IntegrationTests.Health;

/// <summary>/health/ready means "can do its job now" (broker connected, endpoints running, database answering); /health/live only "the process runs".</summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_catalog_database_is_unreachable(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    Microsoft.AspNetCore.Builder.WebApplication app = null!;
    HttpClient http = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        // A port nothing listens on: the catalog database is down.
        app = system.Build("Backup.Retention", b => b.AddRetention(), settings =>
            settings["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=nothing;Username=x;Password=y;Timeout=2");
        await app.StartAsync();
        http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task It_is_live_but_not_ready()
    {
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(BackupHostDefaults.LivePath)).StatusCode);
        // The bus connects within moments; readiness must still say no, because of the database.
        await Eventually.True(async () =>
        {
            var ready = await http.GetAsync(BackupHostDefaults.ReadyPath);
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "/health/ready to report 503");
    }
}

/// <summary>The same service, with every dependency up, is ready (BackupSystem.StartAsync waits for exactly that).</summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_broker_and_database_are_up(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public Task DisposeAsync() => system.DisposeAsync().AsTask();

    [Fact]
    public async Task Every_service_reports_ready()
    {
        var apps = new[]
        {
            await system.StartCatalog(), await system.StartDumper(), await system.StartNotifier(),
            await system.StartRetention(), await system.StartScheduler(), await system.StartRestorer(),
        };
        foreach (var app in apps)
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(BackupHostDefaults.ReadyPath)).StatusCode);
        }
    }
}
