using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Backup.Dashboard.Tests.Harness;

/// <summary>OpenIddict's tables, on a database of the test PostgreSQL.</summary>
public sealed class IdentityProviderDb(DbContextOptions<IdentityProviderDb> options) : DbContext(options);

/// <summary>
/// A real OpenID Connect provider in the test process, standing in for the platform's authentication service:
/// OpenIddict on its own PostgreSQL database, over HTTPS on Kestrel (a certificate of <see cref="ThrowawayCertificates"/>),
/// authorization code flow with PKCE required, ephemeral signing keys. Its login page is a form listing
/// <see cref="TestUser.All"/>; the ID token carries sub, name and roles. It records the query of every authorization
/// request, so a test can see what the API asked for.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "backup-dashboard";
    const string LoginField = "login-user";

    readonly WebApplication app;
    readonly PostgresEndpoint postgres;
    readonly string database;

    /// <summary>https://localhost:port/ (the issuer, as discovery gives it).</summary>
    public Uri Authority { get; private set; } = null!;

    /// <summary>The query strings of the authorization requests received, oldest first.</summary>
    public ConcurrentQueue<IQueryCollection> AuthorizationRequests { get; } = new();

    TestIdentityProvider(WebApplication app, PostgresEndpoint postgres, string database)
    {
        this.app = app;
        this.postgres = postgres;
        this.database = database;
    }

    public static async Task<TestIdentityProvider> StartAsync(PostgresEndpoint postgres, ThrowawayCertificates certificates)
    {
        var database = $"idp_{Guid.NewGuid():N}";
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificates.Localhost)));
        builder.Services.AddDbContext<IdentityProviderDb>(db =>
        {
            db.UseNpgsql(postgres.ConnectionString(database));
            db.UseOpenIddict();
        });
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<IdentityProviderDb>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession");
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile);
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
            });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        var provider = new TestIdentityProvider(app, postgres, database);
        app.Use((http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/connect/authorize") && HttpMethods.IsGet(http.Request.Method))
                provider.AuthorizationRequests.Enqueue(http.Request.Query);
            return next(http);
        });
        app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
        app.MapPost("/connect/token", (Delegate)TokenAsync);
        app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], () =>
            Results.SignOut(new AuthenticationProperties { RedirectUri = "/" }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]));

        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IdentityProviderDb>().Database.EnsureCreatedAsync();
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        provider.Authority = new Uri($"https://localhost:{port}/");
        return provider;
    }

    /// <summary>Registers the dashboard as a public client (PKCE required) returning to <paramref name="api"/>.</summary>
    public async Task RegisterDashboardAsync(Uri api)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(ClientId) is { } existing) await applications.DeleteAsync(existing);
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientType = ClientTypes.Public,
            DisplayName = "Backup dashboard",
            RedirectUris = { new Uri(api, "signin-oidc") },
            PostLogoutRedirectUris = { new Uri(api, "signout-callback-oidc") },
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code, Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }

    // GET: the login page (a form carrying the request's parameters back); POST with a user: signed in, a code issued.
    static async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var chosen = HttpMethods.IsPost(http.Request.Method) ? (await http.Request.ReadFormAsync())[LoginField].ToString() : "";
        if (TestUser.All.FirstOrDefault(user => user.Subject == chosen) is not { } user) return LoginPage(request);

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, "roles");
        identity.SetClaim(Claims.Subject, user.Subject).SetClaim(Claims.Name, user.Name).SetClaims("roles", [.. user.Roles]);
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    // The code for the tokens: the principal the code was issued for.
    static async Task<IResult> TokenAsync(HttpContext http)
    {
        var code = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        return code.Principal is { } principal
            ? Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)
            : Results.Forbid(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    static IResult LoginPage(OpenIddictRequest request)
    {
        var hidden = string.Concat(request.GetParameters().Select(parameter =>
            $"""<input type="hidden" name="{WebUtility.HtmlEncode(parameter.Key)}" value="{WebUtility.HtmlEncode(parameter.Value.ToString())}">"""));
        var users = string.Concat(TestUser.All.Select(user =>
            $"""<option value="{user.Subject}">{WebUtility.HtmlEncode(user.Name)} ({string.Join(", ", user.Roles)})</option>"""));
        return Results.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
            <body><h1>Sign in (test identity provider)</h1>
            <form method="post" action="/connect/authorize">{hidden}
            <label>User <select name="{LoginField}">{users}</select></label>
            <button type="submit" data-action="idp-sign-in">Sign in</button>
            </form></body></html>
            """, "text/html; charset=utf-8");
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        await postgres.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }
}
