using System.Security.Claims;
using Backup.Api.Dashboard;
using Backup.Api.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Backup.Api.Auth;

public static class ApiAuthentication
{
    /// <summary>
    /// JWT bearer tokens of the platform's authentication service: signature (JWKS from Auth:Authority, or the PEM
    /// keys of Auth:SigningKeyFiles), issuer, audience and lifetime checked; roles read from Auth:RoleClaim and
    /// mapped onto the reader, operator and admin policies. No token: 401; a token without the role: 403. The reader
    /// policy is also the fallback: an endpoint that names no policy and does not allow anonymous callers is a reader's.
    /// The dashboard's session cookie (<see cref="DashboardAuthentication"/>) carries the same role claim, so the same
    /// policies hold for it: <see cref="Scheme"/> picks the bearer token when the request has one, else the cookie.
    /// </summary>
    public static IHostApplicationBuilder AddApiAuthentication(this IHostApplicationBuilder builder)
    {
        var authentication = builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token or dashboard session", scheme => scheme.ForwardDefaultSelector = SchemeOf)
            .AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));
        authentication.AddDashboardAuthentication(builder.Configuration);
        var reader = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireAssertion(context =>
            Holds(context, auth => [.. auth.EffectiveReaderRoles, .. auth.EffectiveOperatorRoles, .. auth.EffectiveAdminRoles])).Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiRoles.Reader, reader)
            // Denied by default: an endpoint mapped without RequireAuthorization or AllowAnonymous needs a reader at least.
            .SetFallbackPolicy(reader)
            .AddPolicy(ApiRoles.Operator, policy => policy.RequireAuthenticatedUser().RequireAssertion(context =>
                Holds(context, auth => [.. auth.EffectiveOperatorRoles, .. auth.EffectiveAdminRoles])))
            .AddPolicy(ApiRoles.Admin, policy => policy.RequireAuthenticatedUser().RequireAssertion(context =>
                Holds(context, auth => auth.EffectiveAdminRoles)));
        return builder;
    }

    /// <summary>The default scheme: a bearer token when the request carries one, else the dashboard's session cookie.</summary>
    public const string Scheme = "BearerOrSession";

    /// <summary>Whether the request authenticates with an Authorization: Bearer header (and so is not a cookie caller).</summary>
    public static bool HasBearerToken(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    // A bearer token wins; without one, the session cookie when there is one, and under /api/ a request with neither is
    // refused as the bearer scheme refuses it (401 with WWW-Authenticate: Bearer); a page is sent to the sign-in.
    static string SchemeOf(HttpContext http)
    {
        if (HasBearerToken(http.Request)) return JwtBearerDefaults.AuthenticationScheme;
        if (http.Request.Cookies.ContainsKey(DashboardAuthentication.CookieName)) return DashboardAuthentication.CookieScheme;
        return http.Request.Path.StartsWithSegments("/api")
            ? JwtBearerDefaults.AuthenticationScheme
            : DashboardAuthentication.CookieScheme;
    }

    /// <summary>The API roles <paramref name="user"/> holds, effective (an admin is also an operator and a reader), lowest first.</summary>
    public static IReadOnlyList<string> RolesOf(ClaimsPrincipal user, AuthOptions auth)
    {
        bool HoldsAny(IEnumerable<string> names) => names.Any(name => user.HasClaim(auth.RoleClaim, name));
        var admin = HoldsAny(auth.EffectiveAdminRoles);
        var @operator = admin || HoldsAny(auth.EffectiveOperatorRoles);
        var reader = @operator || HoldsAny(auth.EffectiveReaderRoles);
        return [.. new[] { (ApiRoles.Reader, reader), (ApiRoles.Operator, @operator), (ApiRoles.Admin, admin) }.Where(r => r.Item2).Select(r => r.Item1)];
    }

    // Whether the caller's role claim holds one of the role names the Auth settings give this policy.
    static bool Holds(AuthorizationHandlerContext context, Func<AuthOptions, IReadOnlyList<string>> roles)
    {
        if ((context.Resource as HttpContext)?.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value is not { } auth) return false;
        return roles(auth).Any(role => context.User.HasClaim(auth.RoleClaim, role));
    }

    static void Configure(JwtBearerOptions jwt, AuthOptions auth)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = auth.ClockSkew,
            RoleClaimType = auth.RoleClaim,
            NameClaimType = "sub",
        };
        if (auth.Authority.Length > 0)
        {
            jwt.Authority = auth.Authority;
            jwt.RequireHttpsMetadata = true;
            jwt.BackchannelHttpHandler = AuthorityBackchannel.Handler(auth);
        }
        else
        {
            jwt.TokenValidationParameters.IssuerSigningKeys = auth.SigningKeyFiles.Select(ReadPublicKey).ToList();
        }
    }

    internal static SecurityKey ReadPublicKey(string path) => PemKeys.Read(path).Key;
}
