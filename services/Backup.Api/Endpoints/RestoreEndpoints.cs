using System.Text.Json;
using System.Text.RegularExpressions;
using Backup.Api.Auth;
using Backup.Api.Options;
using Backup.Database;
using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Storage;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>
/// What POST /restores takes: the run whose artifact to restore, and where; whether to keep the archive's owners and
/// grants (the roles must exist on the restore server), and a database whose restore failed part-way (else dropped).
/// </summary>
public sealed record RestoreRequestBody(Guid RunId, string? TargetDatabase = null, bool Overwrite = false, bool KeepPrivileges = false,
    bool KeepFailedDatabase = false);

/// <summary>What POST /restores answers: the restore to follow.</summary>
public sealed record RestoreAccepted(Guid RestoreId, Guid RunId, string ArtifactKey, string Status);

/// <summary>
/// A restore as the restorer's job table knows it: queued, running, or finished with what it reported; the run it restores
/// and the database it restores into, from the job as the restorer accepted it (null if the job's payload can't be read).
/// </summary>
public sealed record RestoreStatus(Guid RestoreId, string State, int Attempts, DateTimeOffset AcceptedAt, DateTimeOffset? FinishedAt,
    string? Outcome, string? ErrorCode, JsonElement? Report, Guid? RunId, string? TargetDatabase);

/// <summary>
/// Restores: POST /restores publishes RestoreRequested (mandatory) for a run's artifact (202 once the broker routed it
/// to a queue; with an Idempotency-Key, or through <see cref="UnconfirmedRequestLedger"/> after an unconfirmed 503,
/// the same restore on retry; 503 when no queue takes it or the broker doesn't confirm it); GET /restores/{id} reads
/// the restore job (the restorer keeps the RestoreCompleted or RestoreFailed it published as the job's result).
/// </summary>
public static partial class RestoreEndpoints
{
    public static RouteGroupBuilder MapRestoreEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/restores", RequestAsync).RequireAuthorization(ApiRoles.Operator).RequireRateLimiting(ApiRateLimits.Requests)
            .WithName("RequestRestore").WithTags("Restores").WithLocation().WithSummary("Restores a run's artifact into a new (or, with overwrite, a restored) database; 202 with the restore id.")
            .WithDescription("Role operator (or admin). Publishes RestoreRequested for the run's artifact; 202 with the restore id and Location /api/v1/restores/{restoreId}. targetDatabase: a lower-case identifier (at most 63 of letters, digits, '_'), or absent for a new name. keepPrivileges: restore the archive's owners and grants (the roles must exist on the restore server; by default the restorer's role owns everything and no grant is restored). keepFailedDatabase: keep a database whose restore failed part-way (by default it is dropped). 202 once the broker has routed it to a queue. With an Idempotency-Key a retried request is the same restore; without one, a retry by the same caller of the same request after a 503 for an unconfirmed publish (within Api:UnconfirmedRetryWindow) is too. 409 when the run has no artifact; 503 when no queue takes the message (nothing was requested) or the broker does not confirm it within Api:PublishTimeout; 429 (Retry-After) over the caller's rate. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapGet("/restores/{restoreId:guid}", GetAsync).RequireAuthorization(ApiRoles.Reader).WithName("GetRestore").WithTags("Restores")
            .WithSummary("A restore's state and, once finished, what the restorer reported (per-table row counts, or the error).")
            .WithDescription("Role reader (or operator, admin). state: queued, running or finished; outcome (completed or failed) and report once finished. 404 until the restorer has accepted the request.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static async Task<Results<Accepted<RestoreAccepted>, ProblemHttpResult>> RequestAsync(RestoreRequestBody body, HttpContext http,
        [FromHeader(Name = BackupEndpoints.IdempotencyHeader)] string? idempotencyKey, CatalogDbContext catalog, IPublishEndpoint bus,
        AuditTrail audit, UnconfirmedRequestLedger unconfirmed, IOptions<ApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (body.RunId == Guid.Empty)
            return Problems.BadField("runId", "required: the id of a Completed or Delivered run (not all zeros).");
        if (body.TargetDatabase is not null && !TargetShape().IsMatch(body.TargetDatabase))
            return Problems.BadField("targetDatabase", "a plain lower-case identifier of at most 63 characters (letters, digits, '_'), not starting with a digit; or leave it out for a new name.");
        var badKey = BackupEndpoints.IdempotencyKeyProblem(idempotencyKey);
        if (badKey is not null) return badKey;
        var run = await catalog.BackupRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == body.RunId, cancellationToken);
        if (run is null) return Problems.NotFound($"No run {body.RunId} in the catalog.");
        if (RunArtifacts.StoredKey(run) is not { } key)
            return Problems.Conflict($"Run {body.RunId} is {run.CurrentState}: only a Completed or Delivered run has an artifact to restore.");

        var actor = AuditTrail.Actor(http.User);
        // Without a key, the same caller's same request (artifact, target and flags) after an unconfirmed 503 is the same restore.
        var subject = $"{key.Value} into {body.TargetDatabase ?? "(a new database)"} overwrite={body.Overwrite} " +
            $"keepPrivileges={body.KeepPrivileges} keepFailedDatabase={body.KeepFailedDatabase}";
        var request = new RestoreRequested
        {
            RestoreId = idempotencyKey is null ? await unconfirmed.ReserveAsync("restore", subject, actor, cancellationToken)
                : BackupEndpoints.DerivedId("restore", key.Value, actor, idempotencyKey),
            ArtifactKey = key.Value,
            TargetDatabase = body.TargetDatabase,
            Overwrite = body.Overwrite,
            KeepPrivileges = body.KeepPrivileges,
            KeepFailedDatabase = body.KeepFailedDatabase,
            RequestedAt = clock.GetUtcNow(),
            RequestedBy = $"api:{actor}",
        };
        var outcome = await RoutedPublish.PublishToAQueueAsync(bus, request, options.Value.PublishTimeout, cancellationToken);
        if (idempotencyKey is null && outcome != PublishOutcome.Unconfirmed) await unconfirmed.SettleAsync(request.RestoreId);
        if (outcome != PublishOutcome.Routed)
        {
            await audit.RecordAsync(http, "restore.request", key.Value, StatusCodes.Status503ServiceUnavailable,
                $"restore {request.RestoreId} {outcome}");
            return Problems.NotRouted(outcome);
        }
        await audit.RecordAsync(http, "restore.request", key.Value, StatusCodes.Status202Accepted,
            $"restore {request.RestoreId} into {body.TargetDatabase ?? "(a new database)"}{(body.Overwrite ? ", overwrite" : "")}" +
            $"{(body.KeepPrivileges ? ", keep privileges" : "")}{(body.KeepFailedDatabase ? ", keep failed database" : "")}");
        var status = $"/api/v1/restores/{request.RestoreId}";
        return TypedResults.Accepted(status, new RestoreAccepted(request.RestoreId, body.RunId, key.Value, status));
    }

    static async Task<Results<Ok<RestoreStatus>, ProblemHttpResult>> GetAsync(Guid restoreId, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var job = await catalog.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Kind == JobKinds.Restore && j.Key == JobKinds.KeyOf(restoreId), cancellationToken);
        if (job is null) return Problems.NotFound($"No restore {restoreId} (a restore just requested appears once the restorer has accepted it).");
        JsonElement? report = job.Result is null ? null : JsonSerializer.Deserialize<JsonElement>(job.Result);
        var outcome = job.State != "finished" ? null : report?.TryGetProperty("errorCode", out _) == false ? "completed" : "failed";
        var errorCode = report?.TryGetProperty("errorCode", out var code) == true ? code.GetString()
            : job.State == "finished" && report is null ? RestoreErrorCodes.Interrupted : null;
        var (runId, targetDatabase) = Accepted(job.Payload);
        return TypedResults.Ok(new RestoreStatus(restoreId, job.State, job.Attempts, job.CreatedAt, job.FinishedAt, outcome, errorCode, report,
            runId, targetDatabase));
    }

    // The run (named by the artifact key the restore was requested for) and the target database of the restorer's job
    // payload ({"request": RestoreRequested, "targetDatabase", ...}).
    static (Guid? RunId, string? TargetDatabase) Accepted(string payload)
    {
        try
        {
            var job = JsonSerializer.Deserialize<JsonElement>(payload);
            Guid? runId = job.TryGetProperty("request", out var request) && request.TryGetProperty("artifactKey", out var artifact)
                && artifact.ValueKind == JsonValueKind.String && ArtifactKey.TryParse(artifact.GetString(), out var key) ? key.RunId : null;
            var target = job.TryGetProperty("targetDatabase", out var database) && database.ValueKind == JsonValueKind.String ? database.GetString() : null;
            return (runId, target);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    [GeneratedRegex(@"\A[a-z_][a-z0-9_]{0,62}\z")]
    private static partial Regex TargetShape();
}
