using Backup.Api.Options;
using Microsoft.Extensions.Options;

namespace Backup.Api.Dashboard;

/// <summary>
/// Security headers on every response: a Content-Security-Policy that allows only the API's own scripts, styles and
/// calls (no inline script or style, no framing; forms post here or to the authority), nosniff, and no referrer.
/// </summary>
public static class DashboardHeaders
{
    public static string ContentSecurityPolicy(AuthOptions auth)
    {
        var formAction = Uri.TryCreate(auth.Authority, UriKind.Absolute, out var authority) ? $"'self' {authority.GetLeftPart(UriPartial.Authority)}" : "'self'";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + $"frame-ancestors 'none'; base-uri 'none'; form-action {formAction}";
    }

    public static IApplicationBuilder UseDashboardHeaders(this IApplicationBuilder app)
    {
        var policy = ContentSecurityPolicy(app.ApplicationServices.GetRequiredService<IOptions<AuthOptions>>().Value);
        return app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                return Task.CompletedTask;
            });
            return next(http);
        });
    }
}
