using MassTransit;
using Microsoft.Extensions.Logging;

namespace Backup.ServiceDefaults;

/// <summary>
/// Logs, as an error with its reason, each receive endpoint that faults (its queue exists with other arguments or of
/// another type, the user may not read or configure it, the broker went away), and when it runs again, so the process
/// log says why /health/ready answers 503.
/// </summary>
public sealed partial class EndpointFaultLog(ILogger<EndpointFaultLog> logger) : IReceiveEndpointObserver
{
    public Task Ready(ReceiveEndpointReady ready)
    {
        EndpointReady(logger, ready.InputAddress.ToString());
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        EndpointFaulted(logger, faulted.InputAddress.ToString(), faulted.Exception?.GetBaseException().Message ?? "no reason given", faulted.Exception);
        return Task.CompletedTask;
    }

    [LoggerMessage(9102, LogLevel.Error, "Receive endpoint {InputAddress} faulted, so the service is not ready: {Reason}")]
    static partial void EndpointFaulted(ILogger logger, string inputAddress, string reason, Exception? exception);

    [LoggerMessage(9103, LogLevel.Information, "Receive endpoint {InputAddress} is running")]
    static partial void EndpointReady(ILogger logger, string inputAddress);
}
