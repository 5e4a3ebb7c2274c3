using System.IdentityModel.Tokens.Jwt;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Backup.IntegrationTests.Api;

/// <summary>
/// The real API host (WebApplicationFactory over its Program) configured against a test's system: its catalog
/// database, broker virtual host and store. Tokens are signed by a key made here, whose public half the API reads
/// from a PEM file, as it would the platform's.
/// </summary>
// Any type of the API's assembly names its entry point (every web service here has a public Program).
public sealed class ApiHost : WebApplicationFactory<Backup.Api.Options.ApiOptions>
{
    public const string Issuer = "https://auth.smart-ai-hub.test";
    public const string Audience = "backup-api";

    readonly Dictionary<string, string?> settings;
    readonly string environment;
    readonly RSA signingKey = RSA.Create(2048);
    readonly string keyFolder = Directory.CreateTempSubdirectory("backup-api-keys-").FullName;

    /// <param name="environment">The host's environment: Testing unless a test is about Development or Production.</param>
    public ApiHost(BackupSystem system, Action<Dictionary<string, string?>>? configure = null, string environment = "Testing")
    {
        this.environment = environment;
        var publicKey = Path.Combine(keyFolder, "platform.pem");
        File.WriteAllText(publicKey, signingKey.ExportSubjectPublicKeyInfoPem());
        settings = system.Configuration("Backup.Api");
        settings["Auth:Issuer"] = Issuer;
        settings["Auth:Audience"] = Audience;
        settings["Auth:SigningKeyFiles:0"] = publicKey;
        settings["Api:PublishTimeout"] = "00:00:03";
        configure?.Invoke(settings);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
    }

    /// <summary>Gives the system's catalog a schedule row for <paramref name="source"/>, as the scheduler seeds it from configuration.</summary>
    public static async Task AddScheduleAsync(BackupSystem system, string source, string cron = "0 2 * * *", string timeZone = "Etc/UTC",
        DateTimeOffset? since = null)
    {
        await using var catalog = system.Catalog();
        catalog.Schedules.Add(new Backup.Database.Scheduling.Schedule
        {
            Source = source, Cron = cron, TimeZone = timeZone, UpdatedAt = since ?? DateTimeOffset.UtcNow,
        });
        await catalog.SaveChangesAsync();
    }

    /// <summary>A client carrying a token for <paramref name="subject"/> with <paramref name="roles"/>.</summary>
    public HttpClient ClientAs(string subject, params string[] roles) => WithToken(Token(subject, roles));

    public HttpClient WithToken(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public string Token(string subject, string[] roles, DateTime? expires = null, string audience = Audience, RSA? key = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["roles"] = roles };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = DateTime.UtcNow.AddMinutes(-1),
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? signingKey), SecurityAlgorithms.RsaSha256),
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        signingKey.Dispose();
        if (Directory.Exists(keyFolder)) Directory.Delete(keyFolder, recursive: true);
    }
}
