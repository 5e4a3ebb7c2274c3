using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Backup.Api.Tests;

/// <summary>
/// The real API host in-process, with just the settings it needs to start: the catalog database and the broker are
/// never reached to serve /openapi/v1.json. The Auth settings point at a throwaway PEM public key.
/// </summary>
// Any type of the API's assembly names its entry point (every web service here has a public Program).
public sealed class ApiDocumentHost : WebApplicationFactory<Backup.Api.Options.ApiOptions>
{
    readonly string keyFolder = Directory.CreateTempSubdirectory("backup-api-tests-").FullName;
    readonly Dictionary<string, string?> settings;

    public ApiDocumentHost()
    {
        var publicKey = Path.Combine(keyFolder, "platform.pem");
        using (var rsa = RSA.Create(2048)) File.WriteAllText(publicKey, rsa.ExportSubjectPublicKeyInfoPem());
        settings = new Dictionary<string, string?>
        {
            ["Auth:Issuer"] = "https://auth.smart-ai-hub.test",
            ["Auth:Audience"] = "backup-api",
            ["Auth:SigningKeyFiles:0"] = publicKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=catalog;Username=nobody;Password=nothing",
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Port"] = "1",
            ["RabbitMq:VirtualHost"] = "/",
            ["RabbitMq:Username"] = "nobody",
            ["RabbitMq:Password"] = "nothing",
            ["Storage:Root"] = keyFolder,
        };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Directory.Exists(keyFolder)) Directory.Delete(keyFolder, recursive: true);
    }
}
