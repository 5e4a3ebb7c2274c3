using Backup.Api.Auth;
using Backup.Api.Endpoints;
using Backup.Api.Options;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Backup.Api.Dashboard;

/// <summary>The dashboard's server side: its pages (index.html, signed in), the session, sign-in and sign-out; none in the OpenAPI document.</summary>
public static class DashboardEndpoints
{
    public const string SessionPath = "/dashboard/session";
    public const string SignOutPath = "/signout";

    /// <summary>What the single-page app learns of its session: who, the API roles held (effective), and the anti-forgery token for its changes.</summary>
    public sealed record Session(string Subject, string Name, IReadOnlyList<string> Roles, string CsrfToken, string SignOutPath);

    public static WebApplication MapDashboard(this WebApplication app, DashboardFiles files)
    {
        foreach (var route in DashboardFiles.ClientRoutes)
            app.MapGet(route, files.Index).RequireAuthorization(ApiRoles.Reader).ExcludeFromDescription();

        app.MapGet(SessionPath, (HttpContext http, IAntiforgery antiforgery, IOptions<AuthOptions> auth) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            var user = http.User;
            return new Session(AuditTrail.Actor(user), user.FindFirst("name")?.Value ?? AuditTrail.Actor(user),
                ApiAuthentication.RolesOf(user, auth.Value), antiforgery.GetAndStoreTokens(http).RequestToken ?? "", SignOutPath);
        }).RequireAuthorization(ApiRoles.Reader).ExcludeFromDescription();

        app.MapGet("/signin", (HttpContext http, string? returnUrl) =>
            SignInRoute.For(http) is { } signIn ? signIn(http, SignInRoute.LocalOrRoot(returnUrl)) : NotConfiguredAsync(http))
            .AllowAnonymous().ExcludeFromDescription();

        // Anonymous (a user without a role signs out too); a session's request passes SessionAntiforgery first.
        app.MapPost(SignOutPath, SignOutAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();

        if (app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.DevelopmentSigningKeyFile.Length > 0)
        {
            // Beside the platform's sign-in it would let anyone in as an admin: with an authority it does not exist.
            if (app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Authority.Length > 0)
                app.Logger.DevelopmentSignInIgnored();
            else
                app.MapDevelopmentSignIn();
        }
        return app;
    }

    // Ends the session; with an authority that has an end-session endpoint, signs out there too (it comes back to /).
    static async Task SignOutAsync(HttpContext http, IOptions<AuthOptions> auth, IOptionsMonitor<OpenIdConnectOptions> oidc)
    {
        await http.SignOutAsync(DashboardAuthentication.CookieScheme);
        if (auth.Value.Authority.Length > 0)
        {
            var options = oidc.Get(DashboardAuthentication.SignInScheme);
            var configuration = options.ConfigurationManager is { } manager ? await manager.GetConfigurationAsync(http.RequestAborted) : null;
            if (!string.IsNullOrEmpty(configuration?.EndSessionEndpoint))
            {
                await http.SignOutAsync(DashboardAuthentication.SignInScheme, new AuthenticationProperties { RedirectUri = "/" });
                return;
            }
        }
        http.Response.Redirect("/");
    }

    static Task NotConfiguredAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return http.Response.WriteAsync("No sign-in is configured: set Auth:Authority (and Dashboard:ClientId), or Dashboard:DevelopmentSigningKeyFile for development.");
    }
}

static partial class DashboardEndpointsLog
{
    [LoggerMessage(6005, LogLevel.Warning, "Dashboard:DevelopmentSigningKeyFile is ignored: Auth:Authority is set, so /signin/dev does not exist (the authority signs users in)")]
    public static partial void DevelopmentSignInIgnored(this ILogger logger);
}
