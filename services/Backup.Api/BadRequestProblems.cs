using System.Text.Json;
using Backup.Api.Endpoints;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Backup.Api;

/// <summary>
/// A request the endpoints could not bind (a body that is not JSON, <c>"runId": 42</c>, a value of the wrong type)
/// gets 400 problem details naming the field at fault (from the JSON path, <c>$.runId</c> → <c>runId</c>), in every
/// environment: binding failures are thrown (RouteHandlerOptions.ThrowOnBadRequest) and answered here, instead of a
/// 500 in Development and an empty 400 elsewhere. The body's text is not echoed.
/// </summary>
public sealed partial class BadRequestProblems(IProblemDetailsService problems, ILogger<BadRequestProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad) return false;
        var json = bad.InnerException as JsonException;
        var field = json?.Path is { Length: > 0 } path && path != "$" ? path.TrimStart('$').TrimStart('.') : "body";
        var detail = json is null
            ? $"{field}: {bad.Message}"
            : field == "body"
                ? $"body: not valid JSON (line {json.LineNumber + 1}, position {json.BytePositionInLine + 1})."
                : $"{field}: not a valid value of its type; see the operation's request schema.";
        LogRefused(logger, http.Request.Method, http.Request.Path.Value ?? "", field, bad.StatusCode);
        http.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status400BadRequest ? "The request has a bad value" : "The request cannot be read",
                Detail = detail,
                Type = Problems.BadInputType,
                Extensions = { ["field"] = field },
            },
        });
    }

    [LoggerMessage(6001, LogLevel.Information, "{Method} {Path} refused with {Status}: the request could not be read ({Field})")]
    static partial void LogRefused(ILogger logger, string method, string path, string field, int status);
}
