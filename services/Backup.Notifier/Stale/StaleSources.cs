using Backup.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.Notifier.Stale;

/// <summary>
/// How an enabled source stood at the last stale check: its last success (with none, when it was scheduled) and the
/// verdict; with restore drills on, also its newest verified backup (with none, when drills were turned on) and whether
/// that is too old (<see cref="LastVerifiedOrSince"/> is null for a source that is not drilled).
/// </summary>
public sealed record SourceFreshness(string Source, DateTimeOffset LastSuccessOrSince, bool Stale,
    DateTimeOffset? LastVerifiedOrSince = null, bool Unverified = false);

/// <summary>What the last stale check found (empty until the first check): every enabled source, which are stale and which unverified.</summary>
public sealed class StaleSources
{
    volatile IReadOnlyList<SourceFreshness> sources = [];

    public IReadOnlyList<SourceFreshness> Sources => sources;

    public IReadOnlyList<string> Current => [.. sources.Where(s => s.Stale).Select(s => s.Source)];

    public IReadOnlyList<string> Unverified => [.. sources.Where(s => s.Unverified).Select(s => s.Source)];

    public void Set(IReadOnlyList<SourceFreshness> checkedSources) => sources = checkedSources;
}

/// <summary>Part of /health/ready: Degraded (still HTTP 200) while any source is stale or, with drills on, has no recent verified backup, naming them.</summary>
public sealed class StaleSourcesHealthCheck(StaleSources stale) : IHealthCheck
{
    public const string Name = "stale-sources";
    public static readonly string[] Tags = [BackupHostDefaults.ReadyTag];

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        if (stale.Current is { Count: > 0 } sources) problems.Add($"no recent successful backup of: {string.Join(", ", sources)}");
        if (stale.Unverified is { Count: > 0 } unverified) problems.Add($"no recent verified backup of: {string.Join(", ", unverified)}");
        return Task.FromResult(problems.Count > 0 ? HealthCheckResult.Degraded(string.Join("; ", problems)) : HealthCheckResult.Healthy());
    }
}
