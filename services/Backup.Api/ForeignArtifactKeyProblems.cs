using Backup.Api.Endpoints;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Backup.Api;

/// <summary>
/// A run whose catalog row names another source's (or run's) artifact, or no key of the dumper's shape: 500 problem
/// details and an error log, and nothing was opened, deleted or requested. The row needs an administrator's look.
/// </summary>
public sealed partial class ForeignArtifactKeyProblems(IProblemDetailsService problems, ILogger<ForeignArtifactKeyProblems> logger) : IExceptionHandler
{
    public const string Type = "https://backup.smart-ai-hub.example/problems/foreign-artifact-key";

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ForeignArtifactKeyException foreign) return false;
        LogForeignKey(logger, http.Request.Method, http.Request.Path.Value ?? "", foreign.RunId, foreign.Message);
        http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "The run's artifact key is not its own",
                Detail = $"{foreign.Message} Nothing was opened or changed; an administrator should check the run's catalog row.",
                Type = Type,
            },
        });
    }

    [LoggerMessage(6003, LogLevel.Error, "{Method} {Path} refused: run {RunId}'s catalog row names an artifact that is not its own: {Problem}")]
    static partial void LogForeignKey(ILogger logger, string method, string path, Guid runId, string problem);
}
