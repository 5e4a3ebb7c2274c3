using Microsoft.AspNetCore.Http.HttpResults;

namespace Backup.Api.Endpoints;

/// <summary>RFC 7807 problem details, each naming what is wrong and, for bad input, the field at fault.</summary>
public static class Problems
{
    public const string BadInputType = "https://backup.smart-ai-hub.example/problems/bad-input";

    public static ProblemHttpResult BadField(string field, string problem) => TypedResults.Problem(
        title: "The request has a bad value", detail: $"{field}: {problem}", statusCode: StatusCodes.Status400BadRequest,
        type: BadInputType, extensions: new Dictionary<string, object?> { ["field"] = field });

    public static ProblemHttpResult NotFound(string what) => TypedResults.Problem(
        title: "Not found", detail: what, statusCode: StatusCodes.Status404NotFound,
        type: "https://backup.smart-ai-hub.example/problems/not-found");

    public static ProblemHttpResult Conflict(string what) => TypedResults.Problem(
        title: "Not possible in the current state", detail: what, statusCode: StatusCodes.Status409Conflict,
        type: "https://backup.smart-ai-hub.example/problems/conflict");

    public static ProblemHttpResult BrokerUnavailable() => TypedResults.Problem(
        title: "The message broker is unavailable",
        detail: "Nothing was requested. Try again later; with the same Idempotency-Key the retry is the same request.",
        statusCode: StatusCodes.Status503ServiceUnavailable, type: "https://backup.smart-ai-hub.example/problems/broker-unavailable");
}
