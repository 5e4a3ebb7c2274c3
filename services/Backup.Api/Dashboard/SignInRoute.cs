using Backup.Api.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Backup.Api.Dashboard;

/// <summary>Where a page request without a session goes: the authority's sign-in (OpenID Connect challenge), else /signin/dev, else nowhere.</summary>
public static class SignInRoute
{
    public const string DevelopmentPath = "/signin/dev";

    /// <summary>Starts the sign-in that returns to <c>returnUrl</c>, or null when neither an authority nor a development key is configured.</summary>
    public static Func<HttpContext, string, Task>? For(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Authority.Length > 0)
            return (context, returnUrl) => context.ChallengeAsync(DashboardAuthentication.SignInScheme,
                new AuthenticationProperties { RedirectUri = LocalOrRoot(returnUrl) });
        if (http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value.DevelopmentSigningKeyFile.Length > 0)
            return (context, returnUrl) =>
            {
                context.Response.Redirect(DevelopmentPath + QueryString.Create("returnUrl", LocalOrRoot(returnUrl)));
                return Task.CompletedTask;
            };
        return null;
    }

    /// <summary>A local path ("/runs?x=1") as it is; anything else (another host, "//evil", "/\\evil") becomes "/".</summary>
    public static string LocalOrRoot(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";
}
