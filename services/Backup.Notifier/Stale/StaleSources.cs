using Backup.ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.Notifier.Stale;

/// <summary>The sources the last stale check found stale (empty until the first check).</summary>
public sealed class StaleSources
{
    volatile IReadOnlyList<string> current = [];

    public IReadOnlyList<string> Current => current;

    public void Set(IReadOnlyList<string> sources) => current = sources;
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
