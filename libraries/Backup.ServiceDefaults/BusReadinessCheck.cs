using MassTransit;
using MassTransit.RabbitMqTransport;
using MassTransit.RabbitMqTransport.Configuration;
using MassTransit.Transports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.ServiceDefaults;

/// <summary>
/// The "bus" part of /health/ready: Healthy only while the bus holds a connection to RabbitMQ and every receive
/// endpoint is running; otherwise Unhealthy (503), naming each endpoint that is not, with its reason. MassTransit's own
/// check says Degraded (still 200) for a faulted endpoint or a lost broker, and Healthy for a bus without endpoints
/// whatever the broker does; a service that cannot take its messages or publish its events is not ready.
/// </summary>
public sealed class BusReadinessCheck(IBusInstance bus) : IHealthCheck
{
    public const string Name = "bus";

    /// <summary>How long the check waits for the bus's connection (an open one answers at once).</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.BusControl.CheckHealth();
        var notRunning = health.Endpoints
            .Where(endpoint => endpoint.Value.Status != BusHealthStatus.Healthy)
            .Select(endpoint => $"endpoint {EndpointName(endpoint.Key, endpoint.Value)} {endpoint.Value.Status.ToString().ToLowerInvariant()}: " +
                                Text.Clip(endpoint.Value.Exception?.GetBaseException().Message ?? endpoint.Value.Description, 300))
            .ToList();
        if (notRunning.Count > 0)
            return HealthCheckResult.Unhealthy(string.Join("; ", notRunning));
        if (health.Status != BusHealthStatus.Healthy)
            return HealthCheckResult.Unhealthy($"bus {health.Status.ToString().ToLowerInvariant()}: {health.Description}", health.Exception);

        // A bus that only publishes has no endpoint to say it lost the broker: ask its connection.
        if (bus.HostConfiguration is IRabbitMqHostConfiguration rabbit)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await rabbit.ConnectionContextSupervisor.Send(Pipe.Empty<ConnectionContext>(), timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy(
                    $"broker not connected: {Text.Clip(e is OperationCanceledException ? $"no connection within {ConnectTimeout.TotalSeconds:0} s" : e.Message, 300)}");
            }
        }
        return HealthCheckResult.Healthy("broker connected, every endpoint running");
    }

    static string EndpointName(string key, EndpointHealthResult endpoint) =>
        endpoint.InputAddress?.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? key;
}
