using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Backup.Catalog;
using Backup.IntegrationTests.Health;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// RabbitMq:UseTls against the local broker's TLS listener (deploy/local/infra.sh: a certificate for 127.0.0.1 signed by
/// a throwaway CA). With that CA in RabbitMq:CaFile the catalog connects over TLS and consumes; with a CA made by the
/// test instead the connection is refused and the log says why (event 9104); without a CA file it does not start, the
/// error naming the key.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_broker_is_reached_over_TLS(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    readonly string folder = Directory.CreateTempSubdirectory("backup-tls-").FullName;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync()
    {
        await system.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task With_the_brokers_CA_the_catalog_connects_over_TLS_and_consumes()
    {
        var (port, caFile) = TlsListener();

        await system.StartAsync("Backup.Catalog", b => b.AddCatalog(), settings => UseTls(settings, port, caFile));

        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        await system.WaitForStateAsync(runId, "Requested");
        using var http = system.Broker.ManagementClient();
        // The management API lists a connection once its statistics came in (every few seconds).
        var found = await Eventually.Get(async () =>
        {
            var connections = await http.GetFromJsonAsync<JsonElement>("api/connections");
            var found = connections.EnumerateArray().Where(c => c.GetProperty("vhost").GetString() == system.VirtualHost
                                                                && c.GetProperty("user").GetString() == "backup-catalog").ToList();
            return found.Count == 1 ? found : null;
        }, "the catalog's connection in the management API");
        var catalog = found[0];
        Assert.True(catalog.GetProperty("ssl").GetBoolean());
        Assert.Equal(port, catalog.GetProperty("port").GetInt32());
    }

    [Fact]
    public async Task With_another_CA_the_connection_is_refused_and_the_log_says_why()
    {
        var (port, _) = TlsListener();
        var otherCa = WriteSelfSignedCa("not the broker's CA");
        var logs = new RecordedLogs();

        var app = system.Build("Backup.Catalog", b => b.AddCatalog(), settings => UseTls(settings, port, otherCa),
            services => services.AddSingleton<ILoggerProvider>(logs));
        await using (app)
        {
            await app.StartAsync();
            // Refused, the bus tries again: a second refusal shows the first connection never came up.
            await Eventually.True(() => Task.FromResult(logs.Entries.Count(e => e.EventId == 9104) >= 2),
                "the connection to be refused twice");
            var refusal = logs.Entries.First(e => e.EventId == 9104);
            Assert.Equal(LogLevel.Error, refusal.Level);
            Assert.Contains($"127.0.0.1:{port}", refusal.Message);
            Assert.Contains("is not signed by a CA of RabbitMq:CaFile", refusal.Message);
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
            await app.StopAsync();
        }
    }

    [Fact]
    public void Without_a_CA_file_the_service_does_not_start_and_names_the_key()
    {
        var (port, _) = TlsListener();

        // The bus is built with the host (its health check is mapped), so the options are checked there, before any start.
        var error = Assert.Throws<OptionsValidationException>(() =>
            system.Build("Backup.Catalog", b => b.AddCatalog(), settings => UseTls(settings, port, caFile: null)));

        Assert.Contains("RabbitMq:CaFile", error.Message);
        Assert.Contains("RabbitMq:UseTls is true", error.Message);
    }

    (int Port, string CaFile) TlsListener() =>
        (system.Broker.TlsPort ?? throw new InvalidOperationException("No BACKUP_RABBITMQ_TLS_PORT: run the tests with deploy/local/test.sh (infra.sh starts the TLS listener)."),
         system.Broker.CaFile ?? throw new InvalidOperationException("No BACKUP_RABBITMQ_CA_FILE: run the tests with deploy/local/test.sh."));

    static void UseTls(Dictionary<string, string?> settings, int port, string? caFile)
    {
        settings["RabbitMq:UseTls"] = "true";
        settings["RabbitMq:Port"] = port.ToString();
        settings["RabbitMq:CaFile"] = caFile;
    }

    string WriteSelfSignedCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(folder, "other-ca.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }
}
