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
/// Triggering a backup: POST /sources/{source}/backups publishes BackupRequested and answers 202 with the run id and
/// a Location to follow. With an Idempotency-Key the run id is derived from the source, the caller and the key, so a
/// retried POST is the same run (the dumper makes one job per run id). When the broker doesn't take the message
/// within Api:PublishTimeout the answer is 503 and nothing was requested: never 202 and then lost.
/// </summary>
public static partial class BackupEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapBackupEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/sources/{source}/backups", TriggerAsync).RequireAuthorization(ApiRoles.Operator)
            .RequireRateLimiting(ApiRateLimits.Requests).WithName("TriggerBackup").WithTags("Backups").WithLocation()
            .WithSummary("Requests a backup of a source now; 202 with the run id and its Location.")
            .WithDescription("Role operator (or admin). Publishes BackupRequested; 202 with the run id and Location /api/v1/runs/{runId}. With an Idempotency-Key (1 to 100 of letters, digits, '-', '_', '.', ':') a retried request is the same run. 503 when the broker does not take the message within Api:PublishTimeout: nothing was requested. 429 (Retry-After) over Api:RequestsPerMinute per caller. Audited.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return api;
    }

    static async Task<Results<Accepted<BackupAccepted>, ProblemHttpResult>> TriggerAsync(string source, HttpContext http,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CatalogDbContext catalog, IPublishEndpoint bus, AuditTrail audit,
        IOptions<ApiOptions> options, TimeProvider clock, CancellationToken cancellationToken)
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
            RunId = idempotencyKey is null ? Guid.CreateVersion7() : DerivedId("backup", source, actor, idempotencyKey),
            Source = source,
            RequestedAt = clock.GetUtcNow(),
            RequestedBy = $"api:{actor}",
        };
        if (!await TryPublishAsync(bus, request, options.Value.PublishTimeout, cancellationToken))
        {
            await audit.RecordAsync(http, "backup.trigger", source, StatusCodes.Status503ServiceUnavailable);
            return Problems.BrokerUnavailable();
        }
        await audit.RecordAsync(http, "backup.trigger", source, StatusCodes.Status202Accepted, $"run {request.RunId}");
        var status = $"/api/v1/runs/{request.RunId}";
        return TypedResults.Accepted(status, new BackupAccepted(request.RunId, source, request.RequestedAt, status));
    }

    /// <summary>An Idempotency-Key header that is not 1 to 100 safe characters, as a problem; null when it is fine or absent.</summary>
    public static ProblemHttpResult? IdempotencyKeyProblem(string? idempotencyKey) =>
        idempotencyKey is null || IdempotencyKeyShape().IsMatch(idempotencyKey) ? null
            : Problems.BadField(IdempotencyHeader, "1 to 100 characters of letters, digits, '-', '_', '.' and ':'.");

    /// <summary>Publishes, waiting at most <paramref name="timeout"/> for the broker to take the message; false when it didn't.</summary>
    public static async Task<bool> TryPublishAsync<T>(IPublishEndpoint bus, T message, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await bus.Publish(message, deadline.Token);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

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
