using Backup.Api.Auth;
using Backup.Database;
using Backup.Database.Retention;
using Backup.Database.Verification;
using Backup.Retention.Policy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Backup.Api.Endpoints;

/// <summary>
/// One artifact and what retention does with it now: <see cref="Code"/> is the rule that decided (floor, age, gfs,
/// last-resort, restore, pending), <see cref="Reason"/> says it for people; <see cref="Verification"/> is what a restore
/// drill proved of it (pending, passed, failed, skipped; null when no drill looked at it).
/// </summary>
public sealed record RetentionCandidate(Guid RunId, string Source, string? ArtifactKey, DateTimeOffset CompletedAt, string Code, string Reason,
    string? Verification);

/// <summary>A source's retention rules: the defaults with its overrides applied.</summary>
public sealed record RetentionRulesView(TimeSpan MaxAge, int KeepLast, int KeepDaily, int KeepWeekly, int KeepMonthly);

/// <summary>
/// One source in the dry run: its rules, whether restore drills are on for it (then only verified backups count for
/// the floor, and one whose drill failed is not good), what is kept and what a sweep now would delete.
/// </summary>
public sealed record SourceRetention(string Source, RetentionRulesView Rules, bool DrillsOn, IReadOnlyList<RetentionCandidate> Kept,
    IReadOnlyList<RetentionCandidate> WouldDelete);

/// <summary>What GET /retention/preview answers: the default policy, its cutoff, what a sweep now would delete (oldest first), and each source's plan.</summary>
public sealed record RetentionPreview(TimeSpan MaxAge, DateTimeOffset Cutoff, IReadOnlyList<RetentionCandidate> WouldDelete,
    DateTimeOffset Now, string TimeZone, IReadOnlyList<SourceRetention> Sources);

/// <summary>The retention dry run: the same plan the retention service runs (RetentionPlan), shown, not carried out.</summary>
public static class RetentionEndpoints
{
    public static RouteGroupBuilder MapRetentionEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/retention/preview", PreviewAsync).RequireAuthorization(ApiRoles.Reader).WithName("PreviewRetention")
            .WithTags("Retention")
            .WithSummary("Retention dry run: what a sweep now would keep and delete, per source, and why; nothing is deleted.")
            .WithDescription("Role reader (or operator, admin). The same plan the retention service carries out (RetentionPlan over the catalog). maxAge is a TimeSpan (d.hh:mm:ss). Where restore drills are on for a source (drillsOn), only verified backups count for its floor and one whose drill failed is not good.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }

    static async Task<Ok<RetentionPreview>> PreviewAsync(CatalogDbContext catalog, IOptions<RetentionPolicyOptions> policy, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var options = policy.Value;
        var plan = await RetentionPlan.LoadAsync(catalog, clock.GetUtcNow(), options, cancellationToken);
        var sources = plan.Backups.GroupBy(b => b.Source, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(group =>
            {
                var rules = options.RulesFor(group.Key);
                return new SourceRetention(group.Key,
                    new RetentionRulesView(rules.MaxAge, rules.KeepLast, rules.KeepDaily, rules.KeepWeekly, rules.KeepMonthly),
                    plan.DrilledSources.Contains(group.Key),
                    [.. group.Where(b => b.Decision.Keep).Select(Candidate)],
                    [.. group.Where(b => !b.Decision.Keep).OrderBy(b => b.Decision.Backup.CompletedAt).Select(Candidate)]);
            }).ToList();
        return TypedResults.Ok(new RetentionPreview(options.MaxAge, plan.Now - options.MaxAge,
            [.. plan.ToDelete.OrderBy(b => b.Decision.Backup.CompletedAt).Select(Candidate)], plan.Now, options.TimeZone, sources));
    }

    static RetentionCandidate Candidate(PlannedBackup backup) => new(backup.RunId, backup.Source, backup.ArtifactKey,
        backup.Decision.Backup.CompletedAt, backup.Decision.Code, backup.Decision.Reason, VerificationOf(backup.Decision.Backup.Drill));

    static string? VerificationOf(DrillOutcome drill) => drill switch
    {
        DrillOutcome.Pending => VerificationStates.Pending,
        DrillOutcome.Passed => VerificationStates.Passed,
        DrillOutcome.Failed => VerificationStates.Failed,
        DrillOutcome.Skipped => VerificationStates.Skipped,
        _ => null,
    };
}
