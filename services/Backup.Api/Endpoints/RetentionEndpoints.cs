using Backup.Api.Auth;
using Backup.Catalog.Data;
using Backup.Catalog.Data.Retention;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>One artifact the retention sweep would delete now, and why.</summary>
public sealed record RetentionCandidate(Guid RunId, string Source, string? ArtifactKey, DateTimeOffset CompletedAt, string Reason);

/// <summary>What GET /retention/preview answers: the policy, its cutoff, and what a sweep now would delete.</summary>
public sealed record RetentionPreview(TimeSpan MaxAge, DateTimeOffset Cutoff, IReadOnlyList<RetentionCandidate> WouldDelete);

/// <summary>The retention dry run: the same plan the retention service runs (RetentionPlan), shown, not carried out.</summary>
public static class RetentionEndpoints
{
    public static RouteGroupBuilder MapRetentionEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/retention/preview", PreviewAsync).RequireAuthorization(ApiRoles.Reader).WithName("PreviewRetention")
            .WithTags("Retention")
            .WithSummary("Retention dry run: which artifacts a sweep now would delete under Retention:MaxAge; nothing is deleted.")
            .WithDescription("Role reader (or operator, admin). The newest good backup of each source is never listed, however old. maxAge is a TimeSpan (d.hh:mm:ss).")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static async Task<Ok<RetentionPreview>> PreviewAsync(CatalogDbContext catalog, IOptions<RetentionPolicyOptions> policy, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var due = await RetentionPlan.DueAsync(catalog, now, policy.Value, cancellationToken);
        return TypedResults.Ok(new RetentionPreview(policy.Value.MaxAge, now - policy.Value.MaxAge,
            [.. due.Select(d => new RetentionCandidate(d.RunId, d.Source, d.ArtifactKey, d.CompletedAt, d.Reason))]));
    }
}
