using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;
using Microsoft.EntityFrameworkCore;

namespace Backup.Catalog.Data.Retention;

/// <summary>What retention keeps (section "Retention"): read by the retention service, which deletes, and the API's dry run, which only shows.</summary>
public sealed class RetentionPolicyOptions : IConfigurationSection<RetentionPolicyOptions>
{
    public static string Section => "Retention";

    /// <summary>Artifacts of runs completed longer ago than this are deleted (the newest good one of each source never is).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>A run whose artifact retention deletes, and why.</summary>
public sealed record ExpiryCandidate(Guid RunId, string Source, string? ArtifactKey, DateTimeOffset CompletedAt, string Reason);

/// <summary>
/// Which artifacts are due for deletion now: those of successful runs completed before now − MaxAge, except the newest
/// successful run of each source, whatever its age, so a source never loses its last good backup. One query, used by
/// the retention sweep and by the API's dry run, so the dry run shows exactly what the sweep would do.
/// </summary>
public static class RetentionPlan
{
    public static async Task<IReadOnlyList<ExpiryCandidate>> DueAsync(CatalogDbContext catalog, DateTimeOffset now,
        RetentionPolicyOptions policy, CancellationToken cancellationToken)
    {
        var cutoff = now - policy.MaxAge;
        var successful = catalog.BackupRuns.AsNoTracking()
            .Where(r => BackupRunStates.WithArtifact.Contains(r.CurrentState) && r.CompletedAt != null);
        var due = await successful
            .Where(r => r.CompletedAt < cutoff)
            .Where(r => successful.Any(newer => newer.Source == r.Source && newer.CompletedAt > r.CompletedAt))
            .OrderBy(r => r.CompletedAt)
            .Select(r => new { r.CorrelationId, r.Source, r.ArtifactKey, r.CompletedAt })
            .ToListAsync(cancellationToken);
        return
        [
            .. due.Select(r => new ExpiryCandidate(r.CorrelationId, r.Source, r.ArtifactKey, r.CompletedAt!.Value,
                $"age: completed {r.CompletedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}, older than {policy.MaxAge.TotalDays:0.#} days")),
        ];
    }
}
