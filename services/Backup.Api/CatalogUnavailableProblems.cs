using Backup.Database.Outages;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Backup.Api;

/// <summary>
/// A request that needs the catalog database while it is unavailable (<see cref="CatalogOutage.IsUnavailable"/>: it
/// refuses connections, restarts, can't be reached) gets 503 problem details with Retry-After, not a 500; repeating
/// it is safe (a trigger or restore with its Idempotency-Key is the same request). The database's message stays in the log.
/// </summary>
public sealed partial class CatalogUnavailableProblems(IProblemDetailsService problems, ILogger<CatalogUnavailableProblems> logger) : IExceptionHandler
{
    public const string Type = "https://backup.smart-ai-hub.example/problems/catalog-unavailable";
    public const int RetryAfterSeconds = 30;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (!CatalogOutage.IsUnavailable(exception)) return false;
        LogUnavailable(logger, http.Request.Method, http.Request.Path.Value ?? "", exception);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The catalog database is unavailable",
                Detail = $"The backup catalog's database can't be reached now. Try again in {RetryAfterSeconds} s.",
                Type = Type,
            },
        });
    }

    [LoggerMessage(6002, LogLevel.Warning, "{Method} {Path} answered 503: the catalog database is unavailable")]
    static partial void LogUnavailable(ILogger logger, string method, string path, Exception exception);
}
