using Backup.Api.Auth;
using Microsoft.AspNetCore.Antiforgery;

namespace Backup.Api.Dashboard;

/// <summary>
/// Cross-site request forgery stops here: a request authenticated by the session cookie (not by a bearer token) that
/// changes something (POST, PUT, PATCH, DELETE) must carry the X-CSRF-TOKEN header (or the form field) with the token of
/// /dashboard/session. Without it, or with a wrong one, 400 problem details before authorization and the endpoint:
/// nothing is done, audited or published.
/// </summary>
public static class SessionAntiforgery
{
    public const string HeaderName = "X-CSRF-TOKEN";
    public const string FormFieldName = "__RequestVerificationToken";
    public const string Title = "Anti-forgery token missing or invalid";

    public static IServiceCollection AddSessionAntiforgery(this IServiceCollection services) =>
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = HeaderName;
            antiforgery.FormFieldName = FormFieldName;
            antiforgery.Cookie.Name = "backup.csrf";
            // Secure on https; the API may also be reached over http behind a TLS proxy (or on localhost in development):
            // this cookie is no credential, only the token's other half, bound to the session's user.
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
        });

    /// <summary>Refuses a cookie-authenticated unsafe request without a valid token; between authentication and authorization.</summary>
    public static IApplicationBuilder UseSessionAntiforgery(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (IsUnsafe(http.Request.Method) && http.User.Identity?.IsAuthenticated == true && !ApiAuthentication.HasBearerToken(http.Request)
            && !await IsValidAsync(http))
        {
            await Results.Problem(title: Title, statusCode: StatusCodes.Status400BadRequest,
                detail: $"A request of a dashboard session that changes something must carry the {HeaderName} header with the token of /dashboard/session.")
                .ExecuteAsync(http);
            return;
        }
        await next(http);
    });

    /// <summary>Whether the request carries the session's anti-forgery token (header or form field).</summary>
    public static async Task<bool> IsValidAsync(HttpContext http)
    {
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    static bool IsUnsafe(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
