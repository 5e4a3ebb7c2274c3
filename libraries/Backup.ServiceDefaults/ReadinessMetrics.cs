using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Backup.ServiceDefaults;

/// <summary>
/// backup.service.ready (unit 1), on the meter named like the service: 1 while the readiness checks (those of
/// /health/ready) pass, Healthy or Degraded, 0 while they fail. The health check publisher runs them every
/// Health:ReportInterval (30 s by default) and hands each report here; nothing is reported before the first one.
/// A service that stopped has no value at all: the alert ServiceDown looks for that.
/// </summary>
public sealed class ReadinessMetrics : IHealthCheckPublisher
{
    public const string ReadyName = "backup.service.ready";

    const int NotYet = -1;
    int ready = NotYet;

    public ReadinessMetrics(IMeterFactory meters, IHostEnvironment host) =>
        meters.Create(host.ApplicationName).CreateObservableGauge(ReadyName, Observe, "1",
            "1 while the service's readiness checks (/health/ready) pass (Healthy or Degraded), 0 while they fail; from the last check, every Health:ReportInterval.");

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        Volatile.Write(ref ready, report.Status == HealthStatus.Unhealthy ? 0 : 1);
        return Task.CompletedTask;
    }

    IEnumerable<Measurement<int>> Observe() =>
        Volatile.Read(ref ready) is var value and not NotYet ? [new Measurement<int>(value)] : [];
}

/// <summary>How often the readiness checks run for <see cref="ReadinessMetrics"/> (section Health).</summary>
public sealed class HealthReportOptions : IConfigurationSection<HealthReportOptions>
{
    public static string Section => "Health";

    /// <summary>How often the readiness checks run for backup.service.ready; at least a second (the publisher's minimum).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(30);
}
