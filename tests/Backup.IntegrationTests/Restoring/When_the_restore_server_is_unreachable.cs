using System.Net;
using Backup.IntegrationTests.Infrastructure;
using Backup.Restorer;
using Backup.ServiceDefaults;

namespace Backup.IntegrationTests.Restoring;

/// <summary>The restorer is ready only when the broker is connected and the restore server answers.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_restore_server_is_unreachable(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    Microsoft.AspNetCore.Builder.WebApplication app = null!;
    HttpClient http = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        // A port nothing listens on: the restore server is down.
        app = system.Build("Backup.Restorer", b => b.AddRestorer(), settings =>
        {
            settings["Restore:Host"] = "127.0.0.1";
            settings["Restore:Port"] = "1";
        });
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
        await Eventually.True(async () =>
            (await http.GetAsync(BackupHostDefaults.ReadyPath)).StatusCode == HttpStatusCode.ServiceUnavailable,
            "/health/ready to report 503");
    }
}
