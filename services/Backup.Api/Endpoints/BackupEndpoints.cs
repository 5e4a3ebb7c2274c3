using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Backup.Api.Auth;
using Backup.Api.Options;
using Backup.Database;
using Backup.Contracts;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>
/// Triggering a backup: POST /sources/{source}/backups publishes BackupRequested (mandatory) and answers 202 with the
/// run id and a Location to follow only once the broker confirmed it and routed it to a queue: never 202 and then
/// lost. With an Idempotency-Key the run id is derived from the source, the caller and the key, so a retried POST is
/// the same run (the dumper makes one job per run id); without one, <see cref="UnconfirmedRequestLedger"/> gives the
/// caller's retry after a 503 for an unconfirmed publish the same run id. 503 when no queue takes it (nothing was
/// requested) or the broker did not confirm within Api:PublishTimeout (a retry is the same run).
/// </summary>
public static partial class BackupEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapBackupEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/sources/{source}/backups", TriggerAsync).RequireAuthorization(ApiRoles.Operator)
            .RequireRateLimiting(ApiRateLimits.Requests).WithName("TriggerBackup").WithTags("Backups").WithLocation()
            .WithSummary("Requests a backup of a source now; 202 with the run id and its Location.")
            .WithDescription("Role operator (or admin). Publishes BackupRequested; 202, once the broker has routed it to a queue, with the run id and Location /api/v1/runs/{runId}. With an Idempotency-Key (1 to 100 of letters, digits, '-', '_', '.', ':') a retried request is the same run; without one, a retry by the same caller after a 503 for an unconfirmed publish (within Api:UnconfirmedRetryWindow) is too. 503 when no queue takes the message (nothing was requested) or the broker does not confirm it within Api:PublishTimeout. 429 (Retry-After) over Api:RequestsPerMinute per caller. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return api;
    }

    static async Task<Results<Accepted<BackupAccepted>, ProblemHttpResult>> TriggerAsync(string source, HttpContext http,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CatalogDbContext catalog, IPublishEndpoint bus, AuditTrail audit,
        UnconfirmedRequestLedger unconfirmed, IOptions<ApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!SourceNames.IsValid(source)) return Problems.BadField("source", $"not a source name ({SourceNames.Rule}).");
        if (IdempotencyKeyProblem(idempotencyKey) is { } badKey) return badKey;
        if (!await catalog.Schedules.AsNoTracking().AnyAsync(s => s.Source == source, cancellationToken))
        {
            await audit.RecordAsync(http, "backup.trigger", source, StatusCodes.Status404NotFound);
            return Problems.NotFound($"No source named '{source}' is configured (GET /api/v1/sources lists them).");
        }

        var actor = AuditTrail.Actor(http.User);
        var request = new BackupRequested
        {
            RunId = idempotencyKey is null ? await unconfirmed.ReserveAsync("backup", source, actor, cancellationToken)
                : DerivedId("backup", source, actor, idempotencyKey),
            Source = source,
            RequestedAt = clock.GetUtcNow(),
            RequestedBy = $"api:{actor}",
        };
        var outcome = await RoutedPublish.PublishToAQueueAsync(bus, request, options.Value.PublishTimeout, cancellationToken);
        if (idempotencyKey is null && outcome != PublishOutcome.Unconfirmed) await unconfirmed.SettleAsync(request.RunId);
        if (outcome != PublishOutcome.Routed)
        {
            await audit.RecordAsync(http, "backup.trigger", source, StatusCodes.Status503ServiceUnavailable, $"run {request.RunId} {outcome}");
            return Problems.NotRouted(outcome);
        }
        await audit.RecordAsync(http, "backup.trigger", source, StatusCodes.Status202Accepted, $"run {request.RunId}");
        var status = $"/api/v1/runs/{request.RunId}";
        return TypedResults.Accepted(status, new BackupAccepted(request.RunId, source, request.RequestedAt, status));
    }

    /// <summary>An Idempotency-Key header that is not 1 to 100 safe characters, as a problem; null when it is fine or absent.</summary>
    public static ProblemHttpResult? IdempotencyKeyProblem(string? idempotencyKey) =>
        idempotencyKey is null || IdempotencyKeyShape().IsMatch(idempotencyKey) ? null
            : Problems.BadField(IdempotencyHeader, "1 to 100 characters of letters, digits, '-', '_', '.' and ':'.");

    /// <summary>The id of a keyed request: the same kind, subject, caller and key give the same id, anything else another.</summary>
    public static Guid DerivedId(string kind, string subject, string actor, string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"backup-api\n{kind}\n{subject}\n{actor}\n{idempotencyKey}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: name-based, made here
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    [GeneratedRegex(@"\A[A-Za-z0-9._:\-]{1,100}\z")]
    private static partial Regex IdempotencyKeyShape();
}
