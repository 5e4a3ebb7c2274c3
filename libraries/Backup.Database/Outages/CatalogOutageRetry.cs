using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.Database.Outages;

/// <summary>
/// The retry of a message whose consumer needs the catalog database while it is unavailable: the message stays
/// unacknowledged in the consumer and is tried again after each of <see cref="CatalogOutage.Delays"/>, for
/// CatalogOutage:RideOut in all (15 minutes by default). If the process dies meanwhile, RabbitMQ delivers the message
/// again. Past the window the fault goes on as any other: to the endpoint's _error queue, or the notifier's requeue.
/// An endpoint's own retry for other faults must leave outages to this one (<see cref="LeaveOutagesOut"/>), so the two
/// never multiply.
/// </summary>
public static class CatalogOutageRetry
{
    /// <summary>Adds the outage retry to <paramref name="endpoint"/>; call it before the endpoint's own UseMessageRetry.</summary>
    public static void UseCatalogOutageRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var delays = CatalogOutage.Delays(context.GetRequiredService<IOptions<CatalogOutageOptions>>().Value.RideOut);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(CatalogOutage.IsUnavailable);
            retry.Intervals([.. delays]);
        });
    }

    /// <summary>An endpoint's own retry: leaves catalog outages to <see cref="UseCatalogOutageRetry"/>.</summary>
    public static IRetryConfigurator LeaveOutagesOut(this IRetryConfigurator retry)
    {
        retry.Ignore<Exception>(CatalogOutage.IsUnavailable);
        return retry;
    }
}
