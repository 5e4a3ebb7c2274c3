using System.Threading.RateLimiting;
using Backup.Api.Endpoints;
using Backup.Api.Options;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Backup.Api;

/// <summary>
/// Per caller (token subject), fixed one-minute windows; over one, 429 with Retry-After. Triggers and restore requests:
/// Api:RequestsPerMinute; artifact downloads, counted apart: Api:DownloadsPerMinute.
/// </summary>
public static class ApiRateLimits
{
    public const string Requests = "requests";
    public const string Downloads = "downloads";

    public static IHostApplicationBuilder AddApiRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                return ValueTask.CompletedTask;
            };
            limiter.AddPolicy(Requests, http => PerCaller(http, api => api.RequestsPerMinute));
            limiter.AddPolicy(Downloads, http => PerCaller(http, api => api.DownloadsPerMinute));
        });
        return builder;
    }

    // A fixed one-minute window per caller (token subject); each policy counts its own.
    static RateLimitPartition<string> PerCaller(HttpContext http, Func<ApiOptions, int> perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(AuditTrail.Actor(http.User), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute(http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
}
