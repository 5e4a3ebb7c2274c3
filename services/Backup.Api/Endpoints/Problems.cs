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

    /// <summary>
    /// 503 for a request the broker did not route: returned for want of a queue (nothing was requested), or not
    /// confirmed in time (it may still run, and a retry is the same request).
    /// </summary>
    public static ProblemHttpResult NotRouted(PublishOutcome outcome) => outcome == PublishOutcome.Unroutable
        ? TypedResults.Problem(
            title: "No queue takes the request",
            detail: "Nothing was requested: the broker has no queue bound for it yet (the migrator declares them before the " +
                "services start; has it run?). Try again once it has.",
            statusCode: StatusCodes.Status503ServiceUnavailable, type: "https://backup.smart-ai-hub.example/problems/not-routed")
        : TypedResults.Problem(
            title: "The message broker is unavailable",
            detail: "The broker did not confirm the request in time, so it may or may not run. Try again: the same caller's retry " +
                "of the same request within Api:UnconfirmedRetryWindow, or with the same Idempotency-Key, is the same request and never runs twice.",
            statusCode: StatusCodes.Status503ServiceUnavailable, type: "https://backup.smart-ai-hub.example/problems/broker-unavailable");
}
