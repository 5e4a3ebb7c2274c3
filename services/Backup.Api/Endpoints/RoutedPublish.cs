using MassTransit;
using MassTransit.RabbitMqTransport;

namespace Backup.Api.Endpoints;

/// <summary>What became of a request the API published.</summary>
public enum PublishOutcome
{
    /// <summary>The broker confirmed the message and routed it to at least one queue.</summary>
    Routed,

    /// <summary>The broker returned it: no queue is bound to its exchange (the topology was never declared). Nothing was requested.</summary>
    Unroutable,

    /// <summary>No confirm within the time allowed (or the broker is away): the broker may still have taken it.</summary>
    Unconfirmed,
}

public static class RoutedPublish
{
    /// <summary>
    /// Publishes <paramref name="message"/> as mandatory (the broker returns it when no queue is bound to its exchange,
    /// instead of acknowledging and dropping it) and waits at most <paramref name="timeout"/> for the broker's confirm.
    /// </summary>
    public static async Task<PublishOutcome> PublishToAQueueAsync<T>(IPublishEndpoint bus, T message, TimeSpan timeout,
        CancellationToken cancellationToken) where T : class
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await bus.Publish(message, context => context.Mandatory = true, deadline.Token);
            return PublishOutcome.Routed;
        }
        catch (MessageReturnedException)
        {
            return PublishOutcome.Unroutable;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return PublishOutcome.Unconfirmed;
        }
    }
}
