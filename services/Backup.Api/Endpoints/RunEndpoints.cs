using Backup.Api.Auth;
using Backup.Api.Options;
using Backup.Database;
using Backup.ServiceDefaults;
using Backup.Storage;
using Backup.Database.Retention;
using Backup.Database.Verification;
using Backup.Retention.Policy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>Runs: the list (filtered, paged, newest first), one run with its timeline and manifest, and its artifact.</summary>
public static class RunEndpoints
{
    static readonly HashSet<string> States =
    [
        BackupRunStates.Requested, BackupRunStates.Running, BackupRunStates.Completed, BackupRunStates.Failed,
        BackupRunStates.TimedOut, BackupRunStates.Delivered, BackupRunStates.Expired,
    ];

    public static RouteGroupBuilder MapRunEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/runs", ListAsync).RequireAuthorization(ApiRoles.Reader).WithName("ListRuns").WithTags("Runs")
            .WithSummary("Lists runs, newest first, filtered by source, state, verification and request time.")
            .WithDescription("Role reader (or operator, admin). Filters: source, state (Requested, Running, Completed, Failed, TimedOut, Delivered, Expired), verification (passed, failed, pending, skipped, or none: no verification recorded), requested at or after 'from' and before 'to'. Each run carries its verification (null when it has none). Pages from 1; pageSize from 1 to Api:MaxPageSize (200 unless configured). 400 names the bad parameter in 'field'.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/runs/{runId:guid}", GetAsync).RequireAuthorization(ApiRoles.Reader).WithName("GetRun").WithTags("Runs")
            .WithSummary("One run with its state timeline, once stored its artifact's manifest, and its verification with the drill's proofs.")
            .WithDescription("Role reader (or operator, admin). 404 when the catalog has no such run (yet: a run just requested appears once the catalog has its BackupRequested).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/runs/{runId:guid}/artifact", DownloadAsync).RequireAuthorization(ApiRoles.Operator)
            .RequireRateLimiting(ApiRateLimits.Downloads).WithName("DownloadArtifact").WithTags("Runs")
            .WithSummary("The run's artifact, streamed, with Range support; its SHA-256 in the Digest and X-Backup-Sha256 headers.")
            .WithDescription("Role operator (or admin). A Range header (bytes=...) is answered 206 when the store's stream can seek (file system); otherwise the whole artifact is sent with 200. X-Backup-Sha256 (hex) and Digest (sha-256=base64) carry the artifact's SHA-256 from its manifest. Audited. 409 when the run has no artifact (not Completed or Delivered); 404 when the run, or its artifact or manifest in the store, is missing; 500 when the run's catalog row names an artifact key that is not the run's own (another source's or run's): nothing is opened. 429 (Retry-After) over Api:DownloadsPerMinute per caller.")
            .Produces<Stream>(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces<Stream>(StatusCodes.Status206PartialContent, contentType: "application/octet-stream")
            .WithArtifactHeaders()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapDelete("/runs/{runId:guid}/artifact", DeleteAsync).RequireAuthorization(ApiRoles.Admin).WithName("DeleteArtifact")
            .WithSummary("Deletes a run's artifact and manifest (admin); the run becomes Expired. The newest good backup of a source needs force=true.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithTags("Runs").WithDescription("Role admin. The retention service's path: the run is marked pending deletion, the store deletes the artifact and its manifest, and BackupExpired (reasonCode manual) goes through the catalog's outbox; the run becomes Expired. 204 once the store has deleted it. 409 when the run has no artifact, holds the newest good backup of its source and force is not true, or a restore of it is queued or running, or the retention sweep is deleting it at that moment. 503 when the store refused: the run stays pending deletion and the next retention sweep tries again. Audited.").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid runId, HttpContext http, CatalogDbContext catalog,
        IArtifactStore store, AuditTrail audit, TimeProvider clock, CancellationToken cancellationToken, [FromQuery] bool force = false)
    {
        var run = await catalog.BackupRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId, cancellationToken);
        if (run is null) return Problems.NotFound($"No run {runId} in the catalog.");
        if (RunArtifacts.StoredKey(run) is not { } key)
            return Problems.Conflict($"Run {runId} is {run.CurrentState}: it has no artifact to delete.");
        var newest = await catalog.BackupRuns.AsNoTracking()
            .Where(r => r.Source == run.Source && BackupRunStates.WithArtifact.Contains(r.CurrentState))
            .OrderByDescending(r => r.CompletedAt).Select(r => r.CorrelationId).FirstOrDefaultAsync(cancellationToken);
        if (newest == runId && !force)
        {
            await audit.RecordAsync(http, "artifact.delete", key.Value, StatusCodes.Status409Conflict, "newest good backup, no force");
            return Problems.Conflict($"Run {runId} holds the newest good backup of source '{run.Source}'. Deleting it leaves the source " +
                "without its latest restore point; repeat with force=true if that is what you want.");
        }

        // The retention path (ArtifactDeletions): marked pending deletion unless a restore reads it, then deleted from the
        // store and, in the transaction that records it, BackupExpired put in the catalog's outbox (the run becomes Expired).
        var actor = AuditTrail.Actor(http.User);
        var marked = await ArtifactDeletions.MarkAsync(catalog, new ArtifactDeletion
        {
            RunId = runId,
            Source = run.Source,
            ArtifactKey = key.Value,
            CompletedAt = run.CompletedAt ?? clock.GetUtcNow(),
            ReasonCode = RetentionCodes.Manual,
            Reason = Text.Clip($"manual: deleted through the API by {actor}", 500),
            RequestedBy = Text.Clip(actor, 200),
            RequestedAt = clock.GetUtcNow(),
        }, cancellationToken);
        catalog.ChangeTracker.Clear();
        if (marked == MarkOutcome.RestoreInProgress)
        {
            await audit.RecordAsync(http, "artifact.delete", key.Value, StatusCodes.Status409Conflict, "restore in progress");
            return Problems.Conflict($"A restore of run {runId}'s artifact is queued or running; delete it once the restore has finished.");
        }
        var (outcome, failure) = await ArtifactDeletions.CompleteAsync(catalog, runId,
            (artifactKey, token) => store.DeleteAsync(ArtifactKey.Parse(artifactKey), token), clock, cancellationToken);
        catalog.ChangeTracker.Clear();
        if (outcome == CompleteOutcome.StoreFailed)
        {
            await audit.RecordAsync(http, "artifact.delete", key.Value, StatusCodes.Status503ServiceUnavailable, "store refused; pending deletion");
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The store did not delete the artifact",
                detail: $"The store refused to delete {key} ({failure!.GetType().Name}). The run is marked for deletion and stays Completed " +
                        "until the store confirms it: the retention service's next sweep tries again.");
        }
        // NotMine: done already, or a sweep holds this deletion right now (and the store's answer is not known yet).
        if (outcome == CompleteOutcome.NotMine
            && !await catalog.ArtifactDeletions.AnyAsync(d => d.RunId == runId && d.DeletedAt != null, cancellationToken))
        {
            await audit.RecordAsync(http, "artifact.delete", key.Value, StatusCodes.Status409Conflict, "being deleted by the retention sweep");
            return Problems.Conflict($"The retention service is deleting run {runId}'s artifact right now; GET the run to see its deletion.");
        }
        await audit.RecordAsync(http, "artifact.delete", key.Value, StatusCodes.Status204NoContent, force ? "forced" : null);
        return TypedResults.NoContent();
    }

    static async Task<Results<Ok<RunPage>, ProblemHttpResult>> ListAsync(CatalogDbContext catalog, IOptions<ApiOptions> options,
        [FromQuery] string? source, [FromQuery] string? state, [FromQuery] string? verification, [FromQuery] DateTimeOffset? from,
        [FromQuery] DateTimeOffset? to, CancellationToken cancellationToken, [FromQuery] int page = 1, [FromQuery] int pageSize = 50)
    {
        if (source is not null && !SourceNames.IsValid(source)) return Problems.BadField("source", $"not a source name ({SourceNames.Rule}).");
        if (state is not null && !States.Contains(state)) return Problems.BadField("state", $"one of {string.Join(", ", States)}.");
        if (verification is not null && !RunVerifications.FilterValues.Contains(verification))
            return Problems.BadField("verification", $"one of {string.Join(", ", RunVerifications.FilterValues)}.");
        if (page < 1) return Problems.BadField("page", "must be 1 or more.");
        if (pageSize < 1 || pageSize > options.Value.MaxPageSize) return Problems.BadField("pageSize", $"must be between 1 and {options.Value.MaxPageSize}.");
        if (from > to) return Problems.BadField("from", "must not be after 'to'.");

        var runs = catalog.BackupRuns.AsNoTracking();
        if (source is not null) runs = runs.Where(r => r.Source == source);
        if (state is not null) runs = runs.Where(r => r.CurrentState == state);
        if (verification == RunVerifications.None) runs = runs.Where(r => !catalog.BackupVerifications.Any(v => v.RunId == r.CorrelationId));
        else if (verification is not null)
            runs = runs.Where(r => catalog.BackupVerifications.Any(v => v.RunId == r.CorrelationId && v.State == verification));
        if (from is { } after) runs = runs.Where(r => r.RequestedAt >= after.ToUniversalTime());
        if (to is { } before) runs = runs.Where(r => r.RequestedAt < before.ToUniversalTime());
        var total = await runs.CountAsync(cancellationToken);
        var items = await runs.OrderByDescending(r => r.RequestedAt ?? r.StartedAt ?? r.UpdatedAt).ThenBy(r => r.CorrelationId)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        var ids = items.Select(r => r.CorrelationId).ToList();
        // The page's verifications without their proofs (the jsonb columns are for the run's own page).
        var verifications = await catalog.BackupVerifications.AsNoTracking().Where(v => ids.Contains(v.RunId))
            .Select(v => new BackupVerification
            {
                RunId = v.RunId, Source = v.Source, ArtifactKey = v.ArtifactKey, State = v.State, QueuedAt = v.QueuedAt, StartedAt = v.StartedAt,
                FinishedAt = v.FinishedAt, RecoverySeconds = v.RecoverySeconds, RtoTargetSeconds = v.RtoTargetSeconds, ErrorCode = v.ErrorCode,
                Reason = v.Reason,
            })
            .ToDictionaryAsync(v => v.RunId, RunVerifications.Summary, cancellationToken);
        return TypedResults.Ok(new RunPage([.. items.Select(r => RunSummary.Of(r, verifications.GetValueOrDefault(r.CorrelationId)))],
            page, pageSize, total));
    }

    static async Task<Results<Ok<RunDetail>, ProblemHttpResult>> GetAsync(Guid runId, CatalogDbContext catalog, IArtifactStore store,
        CancellationToken cancellationToken)
    {
        var run = await catalog.BackupRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId, cancellationToken);
        if (run is null) return Problems.NotFound($"No run {runId} in the catalog (a run just requested appears once the catalog has its BackupRequested).");
        var timeline = await catalog.BackupRunTransitions.AsNoTracking().Where(t => t.RunId == runId).OrderBy(t => t.Id)
            .Select(t => new RunTransition(t.FromState, t.ToState, t.Event, t.At, t.Detail)).ToListAsync(cancellationToken);
        var manifest = RunArtifacts.OwnKey(run) is { } key ? await store.ReadManifestAsync(key, cancellationToken) : null;
        var deletion = await catalog.ArtifactDeletions.AsNoTracking().Where(d => d.RunId == runId)
            .Select(d => new RunDeletion(d.ReasonCode, d.Reason, d.RequestedBy, d.RequestedAt, d.Attempts, d.LastError, d.DeletedAt))
            .SingleOrDefaultAsync(cancellationToken);
        var verification = await catalog.BackupVerifications.AsNoTracking().SingleOrDefaultAsync(v => v.RunId == runId, cancellationToken);
        return TypedResults.Ok(new RunDetail(
            RunSummary.Of(run, verification is null ? null : RunVerifications.Summary(verification)), run.Attempts, run.FailureReason,
            run.DeliveredAt, run.DeliveryError, run.ExpiredAt, run.ExpiryReason, timeline, manifest, deletion,
            verification is null ? null : RunVerifications.Detail(verification)));
    }

    static async Task<IResult> DownloadAsync(Guid runId, HttpContext http, CatalogDbContext catalog, IArtifactStore store, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        var run = await catalog.BackupRuns.AsNoTracking().SingleOrDefaultAsync(r => r.CorrelationId == runId, cancellationToken);
        if (run is null)
        {
            await audit.RecordAsync(http, "artifact.download", runId.ToString(), StatusCodes.Status404NotFound);
            return Problems.NotFound($"No run {runId} in the catalog.");
        }
        if (RunArtifacts.StoredKey(run) is not { } key)
        {
            await audit.RecordAsync(http, "artifact.download", runId.ToString(), StatusCodes.Status409Conflict);
            return Problems.Conflict($"Run {runId} is {run.CurrentState}: only a Completed or Delivered run has an artifact to download.");
        }
        var manifest = await store.ReadManifestAsync(key, cancellationToken);
        if (manifest is null || !await store.ExistsAsync(key, cancellationToken))
        {
            await audit.RecordAsync(http, "artifact.download", key.Value, StatusCodes.Status404NotFound);
            return Problems.NotFound($"The artifact {key} of run {runId} or its manifest is no longer in the store.");
        }

        var stream = await store.OpenReadAsync(key, cancellationToken);
        var status = http.Request.Headers.Range.Count > 0 && stream.CanSeek ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        await audit.RecordAsync(http, "artifact.download", key.Value, status, http.Request.Headers.Range.ToString() is { Length: > 0 } range ? range : null);
        http.Response.Headers["X-Backup-Sha256"] = manifest.Sha256;
        http.Response.Headers["Digest"] = "sha-256=" + Convert.ToBase64String(Convert.FromHexString(manifest.Sha256));
        // Range requests need a seekable stream: files are; an S3 object stream is not, and then the whole artifact is sent.
        return TypedResults.Stream(stream, "application/octet-stream", key.FileName, enableRangeProcessing: stream.CanSeek);
    }
}
