using Backup.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.Notifier.Stale;

/// <summary>How an enabled source stood at the last stale check: its last success (with none, when it was scheduled) and the verdict.</summary>
public sealed record SourceFreshness(string Source, DateTimeOffset LastSuccessOrSince, bool Stale);

/// <summary>What the last stale check found (empty until the first check): every enabled source, and which are stale.</summary>
public sealed class StaleSources
{
    volatile IReadOnlyList<SourceFreshness> sources = [];

    public IReadOnlyList<SourceFreshness> Sources => sources;

    public IReadOnlyList<string> Current => [.. sources.Where(s => s.Stale).Select(s => s.Source)];

    public void Set(IReadOnlyList<SourceFreshness> checkedSources) => sources = checkedSources;
}

/// <summary>Part of /health/ready: Degraded (still HTTP 200) while any source is stale, naming them.</summary>
public sealed class StaleSourcesHealthCheck(StaleSources stale) : IHealthCheck
{
    public const string Name = "stale-sources";
    public static readonly string[] Tags = [BackupHostDefaults.ReadyTag];

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(stale.Current is { Count: > 0 } sources
            ? HealthCheckResult.Degraded($"no recent successful backup of: {string.Join(", ", sources)}")
            : HealthCheckResult.Healthy());
}
