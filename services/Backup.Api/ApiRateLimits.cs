using System.Threading.RateLimiting;
using Backup.Api.Endpoints;
using Backup.Api.Options;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Backup.Api;

/// <summary>Triggers and restore requests: Api:RequestsPerMinute per caller (token subject), a fixed window; over it, 429 with Retry-After.</summary>
public static class ApiRateLimits
{
    public const string Requests = "requests";

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
            limiter.AddPolicy(Requests, http => RateLimitPartition.GetFixedWindowLimiter(AuditTrail.Actor(http.User), _ =>
                new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.RequestsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
        return builder;
    }
}
