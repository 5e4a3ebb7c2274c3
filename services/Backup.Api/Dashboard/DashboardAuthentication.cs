using Backup.Api.Auth;
using Backup.Api.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Backup.Api.Dashboard;

/// <summary>
/// The dashboard's session: a cookie (backup.session: HttpOnly, Secure, SameSite=Lax, sliding Dashboard:SessionLifetime)
/// made by the OpenID Connect sign-in at Auth:Authority (authorization code with PKCE, ID token checked against the
/// authority's JWKS, audience Dashboard:ClientId) or, in development, by /signin/dev. Claims keep their names (sub, the
/// role claim), so the API's role policies and audit trail read a session as they read a bearer token.
/// </summary>
public static class DashboardAuthentication
{
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string SignInScheme = OpenIdConnectDefaults.AuthenticationScheme;
    public const string CookieName = "backup.session";

    /// <summary>Paths that answer with status codes (401, 403) rather than pages: the API and the dashboard's own JSON.</summary>
    public static bool IsApiPath(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/dashboard");

    /// <summary>The cookie (its keys in Dashboard:KeysFolder when set); and the OpenID Connect sign-in when Auth:Authority is set (its handler looks at every request for its callback).</summary>
    public static AuthenticationBuilder AddDashboardAuthentication(this AuthenticationBuilder authentication, IConfiguration configuration)
    {
        authentication.AddCookie(CookieScheme);
        if (configuration[$"{DashboardOptions.Section}:{nameof(DashboardOptions.KeysFolder)}"] is { Length: > 0 } keys)
            authentication.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys));
        authentication.Services.AddOptions<CookieAuthenticationOptions>(CookieScheme)
            .Configure<IOptions<DashboardOptions>>((cookie, dashboard) => ConfigureCookie(cookie, dashboard.Value));
        if (string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:{nameof(AuthOptions.Authority)}"])) return authentication;
        authentication.AddOpenIdConnect(SignInScheme, _ => { });
        authentication.Services.AddOptions<OpenIdConnectOptions>(SignInScheme)
            .Configure<IOptions<AuthOptions>, IOptions<DashboardOptions>>((oidc, auth, dashboard) => ConfigureSignIn(oidc, auth.Value, dashboard.Value));
        return authentication;
    }

    static void ConfigureCookie(CookieAuthenticationOptions cookie, DashboardOptions dashboard)
    {
        cookie.Cookie.Name = CookieName;
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.Cookie.Path = "/";
        cookie.ExpireTimeSpan = dashboard.SessionLifetime;
        cookie.SlidingExpiration = true;
        cookie.Events.OnRedirectToLogin = ChallengeAsync;
        cookie.Events.OnRedirectToAccessDenied = ForbidAsync;
    }

    // No session: 401 for the API and the session endpoint; a page goes to the authority's sign-in (or /signin/dev).
    static Task ChallengeAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        var http = context.HttpContext;
        if (IsApiPath(http.Request) || SignInRoute.For(http) is not { } signIn)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }
        return signIn(http, http.Request.Path + http.Request.QueryString);
    }

    // Signed in without the role: 403 for the API; a page says which role names the API accepts.
    static Task ForbidAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return IsApiPath(context.Request) ? Task.CompletedTask : DashboardPages.WriteNoRoleAsync(context.HttpContext);
    }

    static void ConfigureSignIn(OpenIdConnectOptions oidc, AuthOptions auth, DashboardOptions dashboard)
    {
        oidc.Authority = auth.Authority;
        oidc.RequireHttpsMetadata = true;
        oidc.BackchannelHttpHandler = AuthorityBackchannel.Handler(auth);
        oidc.ClientId = dashboard.ClientId;
        if (dashboard.ClientSecret.Length > 0) oidc.ClientSecret = dashboard.ClientSecret;
        oidc.ResponseType = OpenIdConnectResponseType.Code;
        oidc.ResponseMode = OpenIdConnectResponseMode.Query;
        oidc.UsePkce = true;
        oidc.Scope.Clear();
        foreach (var scope in dashboard.ScopeList) oidc.Scope.Add(scope);
        oidc.SignInScheme = CookieScheme;
        oidc.MapInboundClaims = false;
        oidc.SaveTokens = false;
        oidc.TokenValidationParameters.NameClaimType = "name";
        oidc.TokenValidationParameters.RoleClaimType = auth.RoleClaim;
        // The provider's sign-out page returns here, and the dashboard starts again.
        oidc.SignedOutRedirectUri = "/";
        oidc.Events.OnRemoteFailure = SignInFailedAsync;
    }

    // The provider answered with an error, or the answer did not check out (state, nonce, token): a page that says so
    // and offers to start again, not a 500; logged with the reason.
    static Task SignInFailedAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DashboardAuthentication))
            .SignInFailed(context.Failure?.Message ?? "unknown");
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return DashboardPages.WriteSignInFailedAsync(context.HttpContext);
    }
}

static partial class DashboardAuthenticationLog
{
    [LoggerMessage(6004, LogLevel.Warning, "A dashboard sign-in failed at the authority's callback: {Reason}")]
    public static partial void SignInFailed(this ILogger logger, string reason);
}
