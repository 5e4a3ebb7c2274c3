using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Backup.Api.Tests;

/// <summary>
/// The API built as its Program.cs builds it, on a test server, with one more endpoint mapped the way a careless
/// change would: no RequireAuthorization, no AllowAnonymous. The fallback policy closes it: 401 without a token, 403
/// without a reader's role, 200 for a reader. Tokens are signed by a key made here.
/// </summary>
public sealed class When_an_endpoint_is_mapped_without_a_role : IAsyncLifetime
{
    const string Issuer = "https://auth.smart-ai-hub.test";
    const string Audience = "backup-api";
    readonly RSA signingKey = RSA.Create(2048);
    readonly string keyFolder = Directory.CreateTempSubdirectory("backup-api-tests-").FullName;
    WebApplication app = null!;

    public async Task InitializeAsync()
    {
        var publicKey = Path.Combine(keyFolder, "platform.pem");
        await File.WriteAllTextAsync(publicKey, signingKey.ExportSubjectPublicKeyInfoPem());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BackupHostDefaults.SecretsDirectoryVariable] = Path.Combine(keyFolder, "no-secrets-here"),
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:SigningKeyFiles:0"] = publicKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=catalog;Username=nobody;Password=nothing",
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Port"] = "1",
            ["RabbitMq:Username"] = "nobody",
            ["RabbitMq:Password"] = "nothing",
            ["Storage:Root"] = keyFolder,
        });
        builder.AddServiceDefaults();
        builder.AddBackupApi();
        app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapBackupApi();
        app.MapGet("/api/v1/forgotten", () => "what nobody guarded");
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        signingKey.Dispose();
        Directory.Delete(keyFolder, recursive: true);
    }

    [Fact]
    public async Task It_answers_401_without_a_token_403_without_the_reader_role_and_200_to_a_reader()
    {
        using var anonymous = app.GetTestClient();
        var unauthorized = await anonymous.GetAsync("/api/v1/forgotten");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Contains("Bearer", unauthorized.Headers.WwwAuthenticate.ToString());

        using var stranger = ClientWith("some.other.role");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync("/api/v1/forgotten")).StatusCode);

        using var reader = ClientWith("backup.reader");
        var read = await reader.GetAsync("/api/v1/forgotten");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("what nobody guarded", await read.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_health_probes_and_the_OpenAPI_document_stay_anonymous()
    {
        using var anonymous = app.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        // Not ready (no broker, no database here), but answered: not refused for want of a token.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
    }

    HttpClient ClientWith(string role)
    {
        var client = app.GetTestClient();
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = new Dictionary<string, object> { ["sub"] = "someone", ["roles"] = new[] { role } },
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signingKey), SecurityAlgorithms.RsaSha256),
        });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>
/// Every endpoint the API serves says who may call it: a role policy, or AllowAnonymous for the few that are meant to
/// be open (health probes, the OpenAPI document, the dashboard's sign-in and sign-out). A new endpoint without either
/// fails here, naming it. The dashboard's pages and session are a reader's, like the API.
/// </summary>
public sealed class Every_endpoint_of_the_API
{
    static readonly HashSet<string> Anonymous = ["/health/live", "/health/ready", "/openapi/{documentName}.json", "/signin", "/signout"];

    [Fact]
    public void Names_a_role_or_is_an_allowed_anonymous_one()
    {
        using var host = new ApiDocumentHost();
        using var _ = host.CreateClient();
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/api/v1/runs/{runId:guid}/artifact");

        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText ?? endpoint.DisplayName ?? "?";
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            if (anonymous && !Anonymous.Contains(route)) problems.Add($"{route}: anonymous but not in the allowlist");
            else if (!anonymous && (policies.Count == 0 || policies.Any(string.IsNullOrEmpty)))
                problems.Add($"{route}: names no role policy (only the fallback would guard it)");
        }
        Assert.Empty(problems);
        Assert.All(Anonymous, route => Assert.Contains(endpoints, e => e.RoutePattern.RawText == route));
    }
}
