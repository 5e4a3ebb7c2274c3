using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Api;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// Every service logs in as its own user of deploy/rabbitmq/permissions.tsv (no tags, only its regexes, granted on the
/// test's virtual host), as <see cref="BackupSystem"/> runs every service: the migrator declares the topology, and a
/// backup requested through the API is dumped, cataloged and mailed, every connection of the virtual host being a
/// service user's, none the administrator's.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_each_service_logs_in_as_its_own_broker_user(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    ApiHost api = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await ApiHost.AddScheduleAsync(system, "demo");
        api = new ApiHost(system);
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task A_backup_requested_through_the_API_is_dumped_cataloged_and_mailed()
    {
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartNotifier();
        using var operatorClient = api.ClientAs("operator-1", "backup.operator");

        var response = await operatorClient.PostAsync("/api/v1/sources/demo/backups", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(2));
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        await using (var artifact = await store.OpenReadAsync(ArtifactKey.Parse(run.ArtifactKey!), CancellationToken.None))
            Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact)));
        await system.Mail.WaitForAsync(m => m.Subject?.Contains("demo") == true, "the backup's email");

        var users = await ConnectedUsersAsync();
        Assert.Equal(["backup-api", "backup-catalog", "backup-dumper", "backup-notifier"], users);
    }

    async Task<string[]> ConnectedUsersAsync()
    {
        using var http = system.Broker.ManagementClient();
        // The management API lists a connection once its statistics came in (every few seconds).
        return await Eventually.Get(async () =>
        {
            var all = await http.GetFromJsonAsync<JsonElement>("api/connections");
            var users = all.EnumerateArray().Where(c => c.GetProperty("vhost").GetString() == system.VirtualHost)
                .Select(c => c.GetProperty("user").GetString()!).Distinct().Order().ToArray();
            return users.Length >= 4 ? users : null;
        }, "the four services' connections to show in the management API");
    }
}
