using System.Security.Claims;
using System.Text.RegularExpressions;
using Backup.Api.Auth;
using Backup.Api.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Backup.Api.Dashboard;

/// <summary>
/// /signin/dev, mapped only when Dashboard:DevelopmentSigningKeyFile is set: the chosen subject and role become a token
/// signed with that key and checked as the platform's are (Auth:Issuer, Auth:Audience, Auth:SigningKeyFiles), whose
/// claims (sub, name, the role claim with the role's Auth:*Roles names) make the session.
/// </summary>
public static partial class DevelopmentSignIn
{
    public static void MapDevelopmentSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet(SignInRoute.DevelopmentPath, (HttpContext http, string? returnUrl) =>
            DashboardPages.WriteDevelopmentSignInAsync(http, SignInRoute.LocalOrRoot(returnUrl))).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(SignInRoute.DevelopmentPath, SignInAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
    }

    static async Task SignInAsync(HttpContext http, IOptions<AuthOptions> authOptions, IOptions<DashboardOptions> dashboard)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var returnUrl = SignInRoute.LocalOrRoot(form["returnUrl"]);
        if (!await SessionAntiforgery.IsValidAsync(http))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await DashboardPages.WriteDevelopmentSignInAsync(http, returnUrl, SessionAntiforgery.Title + ": reload the form and try again.");
            return;
        }
        var auth = authOptions.Value;
        var subject = form["subject"].ToString();
        string[]? roles = form["role"].ToString() switch
        {
            ApiRoles.Reader => [auth.EffectiveReaderRoles[0]],
            ApiRoles.Operator => [auth.EffectiveOperatorRoles[0]],
            ApiRoles.Admin => [auth.EffectiveAdminRoles[0]],
            _ => null,
        };
        if (!SubjectPattern().IsMatch(subject) || roles is null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await DashboardPages.WriteDevelopmentSignInAsync(http, returnUrl,
                "Give a subject of 1 to 64 letters, digits, '.', '_', '@' or '-', and pick reader, operator or admin.");
            return;
        }
        var checkedToken = await CheckAsync(Sign(subject, roles, auth, dashboard.Value.DevelopmentSigningKeyFile), auth);
        if (!checkedToken.IsValid)
        {
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await DashboardPages.WriteDevelopmentSignInAsync(http, returnUrl,
                "The development key's token was refused: its public half must be one of Auth:SigningKeyFiles.");
            return;
        }
        var identity = new ClaimsIdentity(
            checkedToken.ClaimsIdentity.Claims.Where(claim => claim.Type is "sub" or "name" || claim.Type == auth.RoleClaim), "development", "name", auth.RoleClaim);
        await http.SignInAsync(DashboardAuthentication.CookieScheme, new ClaimsPrincipal(identity));
        http.Response.Redirect(returnUrl);
    }

    static string Sign(string subject, string[] roles, AuthOptions auth, string keyFile)
    {
        var (key, algorithm) = PemKeys.Read(keyFile);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = subject, [auth.RoleClaim] = roles },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    static Task<TokenValidationResult> CheckAsync(string token, AuthOptions auth) =>
        new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            IssuerSigningKeys = auth.SigningKeyFiles.Select(ApiAuthentication.ReadPublicKey).ToList(),
            RoleClaimType = auth.RoleClaim,
            NameClaimType = "name",
        });

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex SubjectPattern();
}
