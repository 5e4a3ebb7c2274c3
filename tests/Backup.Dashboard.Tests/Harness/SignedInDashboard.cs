using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.Dashboard.Tests.Harness;

/// <summary>
/// One system of the test infrastructure (deploy/local/infra.sh's broker and PostgreSQL: source infra.env), the test
/// identity provider, the API signing in there, and a browser; shared by a test class's tests (each takes its own
/// browser context). The source "demo" has a schedule.
/// </summary>
public sealed class SignedInDashboard : IAsyncLifetime
{
    readonly string folder = Directory.CreateTempSubdirectory("backup-dashboard-tests-").FullName;

    public TestInfrastructure Infrastructure { get; } = new();
    public BackupSystem System { get; private set; } = null!;
    public ThrowawayCertificates Certificates { get; } = new();
    public TestIdentityProvider IdentityProvider { get; private set; } = null!;
    public DashboardApi Api { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Infrastructure.InitializeAsync();
        System = await BackupSystem.CreateAsync(Infrastructure);
        await ApiHost.AddScheduleAsync(System, "demo");
        IdentityProvider = await TestIdentityProvider.StartAsync(Infrastructure.Postgres, Certificates);
        Certificates.WriteAuthorityPem(CaFile);
        Api = await DashboardApi.StartAsync(System, SignInAtTheIdentityProvider);
        await IdentityProvider.RegisterDashboardAsync(Api.Address);
        Browser = await Browser.LaunchAsync();
    }

    string CaFile => Path.Combine(folder, "ca.pem");

    /// <summary>The API's settings for signing in at <see cref="IdentityProvider"/> (Auth:Authority, its CA in Auth:CaFile).</summary>
    public void SignInAtTheIdentityProvider(Dictionary<string, string?> settings)
    {
        settings["Auth:Issuer"] = IdentityProvider.Authority.ToString();
        settings["Auth:Audience"] = "backup-api";
        settings["Auth:Authority"] = IdentityProvider.Authority.ToString();
        settings["Auth:CaFile"] = CaFile;
        settings["Dashboard:ClientId"] = TestIdentityProvider.ClientId;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        if (Api is not null) await Api.DisposeAsync();
        if (IdentityProvider is not null) await IdentityProvider.DisposeAsync();
        if (System is not null) await System.DisposeAsync();
        await Infrastructure.DisposeAsync();
        Certificates.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
