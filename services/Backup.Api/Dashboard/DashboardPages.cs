using System.Net;
using Backup.Api.Auth;
using Backup.Api.Options;
using Microsoft.Extensions.Options;

namespace Backup.Api.Dashboard;

/// <summary>The few pages the server writes itself (no script, the dashboard's stylesheet): "no role" and the development sign-in form.</summary>
public static class DashboardPages
{
    /// <summary>403: signed in, but the role claim holds none of the role names the API accepts; names them.</summary>
    public static Task WriteNoRoleAsync(HttpContext http)
    {
        var auth = http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var accepted = string.Join("", new[] { (ApiRoles.Reader, auth.EffectiveReaderRoles), (ApiRoles.Operator, auth.EffectiveOperatorRoles), (ApiRoles.Admin, auth.EffectiveAdminRoles) }
            .Select(role => $"<li>{role.Item1}: <code>{Encode(string.Join(", ", role.Item2))}</code></li>"));
        var body = $"""
            <main data-page="no-role">
            <h1>No backup role</h1>
            <p>You are signed in as <strong>{Encode(AuditTrail(http))}</strong>, but your <code>{Encode(auth.RoleClaim)}</code> claim holds none of the roles this dashboard accepts:</p>
            <ul data-testid="accepted-roles">{accepted}</ul>
            <p>Ask your platform's administrators for one of them, then sign in again.</p>
            <form method="post" action="/signout"><input type="hidden" name="{SessionAntiforgery.FormFieldName}" value="{Encode(AntiforgeryToken(http))}"><button type="submit">Sign out</button></form>
            </main>
            """;
        return WriteAsync(http, "No backup role", body);
    }

    /// <summary>400: the authority's answer to a sign-in was an error or did not check out; the reason is in the API's log (event 6004).</summary>
    public static Task WriteSignInFailedAsync(HttpContext http) => WriteAsync(http, "Sign-in failed", """
        <main data-page="signin-failed">
        <h1>Sign-in failed</h1>
        <p role="alert">The sign-in at your platform's authentication service did not complete (it was refused or its answer did not check out). The reason is in the API's log (event 6004).</p>
        <p><a href="/signin">Sign in again</a></p>
        </main>
        """);

    /// <summary>The development sign-in: a subject name and one of the three roles.</summary>
    public static Task WriteDevelopmentSignInAsync(HttpContext http, string returnUrl, string? problem = null)
    {
        var alert = problem is null ? "" : $"""<p role="alert">{Encode(problem)}</p>""";
        var body = $"""
            <main data-page="signin-dev">
            <h1>Development sign-in</h1>
            <p>This server signs anyone in with the role they pick (Dashboard:DevelopmentSigningKeyFile is set). Never in production.</p>
            {alert}
            <form method="post" action="{SignInRoute.DevelopmentPath}">
            <input type="hidden" name="{SessionAntiforgery.FormFieldName}" value="{Encode(AntiforgeryToken(http))}">
            <input type="hidden" name="returnUrl" value="{Encode(returnUrl)}">
            <label>Subject <input name="subject" required maxlength="64" pattern="[A-Za-z0-9._@\-]+" value="developer"></label>
            <label>Role <select name="role">
            <option value="{ApiRoles.Reader}">reader</option>
            <option value="{ApiRoles.Operator}">operator</option>
            <option value="{ApiRoles.Admin}" selected>admin</option>
            </select></label>
            <button type="submit" data-action="dev-sign-in">Sign in</button>
            </form>
            </main>
            """;
        return WriteAsync(http, "Development sign-in", body);
    }

    static string AuditTrail(HttpContext http) => Endpoints.AuditTrail.Actor(http.User);

    static string AntiforgeryToken(HttpContext http) =>
        http.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().GetAndStoreTokens(http).RequestToken ?? "";

    static string Encode(string text) => WebUtility.HtmlEncode(text);

    static async Task WriteAsync(HttpContext http, string title, string body)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await http.Response.WriteAsync($"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{Encode(title)} · Backup</title><link rel="stylesheet" href="/assets/app.css"></head>
            <body>
            {body}
            </body>
            </html>
            """);
    }
}
