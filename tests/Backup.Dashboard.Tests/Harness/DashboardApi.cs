using Backup.Api;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace Backup.Dashboard.Tests.Harness;

/// <summary>
/// The real API host (AddBackupApi, MapBackupApi) on Kestrel, on a test's system (its catalog, broker virtual host and
/// store), reached by the browser at http://localhost:port (Chromium takes localhost as a secure context, so the Secure
/// session cookie works over http there).
/// </summary>
public sealed class DashboardApi : IAsyncDisposable
{
    readonly WebApplication app;

    public Uri Address { get; }

    DashboardApi(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public static async Task<DashboardApi> StartAsync(BackupSystem system, Action<Dictionary<string, string?>> configure)
    {
        var app = system.Build("Backup.Api", builder => builder.AddBackupApi(), configure);
        app.MapBackupApi();
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new DashboardApi(app, new Uri($"http://localhost:{port}/"));
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
