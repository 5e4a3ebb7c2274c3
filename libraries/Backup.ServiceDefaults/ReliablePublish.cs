using MassTransit;
using Microsoft.Extensions.Logging;

namespace Backup.ServiceDefaults;

public static partial class ReliablePublish
{
    /// <summary>
    /// Publishes, and keeps trying through a broker outage (5 s, 10 s, … up to a minute apart) until the broker has
    /// the message or <paramref name="cancellationToken"/> ends it. Only for messages that are safe to publish twice
    /// (every event here carries the id of its run, and consumers ignore repeats).
    /// </summary>
    public static Task PublishUntilSentAsync<T>(this IPublishEndpoint bus, T message, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken) where T : class =>
        KeepTryingAsync(() => bus.Publish(message, cancellationToken), typeof(T).Name, clock, logger, cancellationToken);

    /// <summary>
    /// <see cref="PublishUntilSentAsync{T}"/> as mandatory: a message that no queue takes (the broker returns it:
    /// the topology is not declared yet) is tried again too, until a queue has it. For requests whose loss would be a
    /// lost backup (the scheduler's BackupRequested).
    /// </summary>
    public static Task PublishToAQueueUntilSentAsync<T>(this IPublishEndpoint bus, T message, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken) where T : class =>
        KeepTryingAsync(() => bus.Publish(message, context => context.Mandatory = true, cancellationToken), typeof(T).Name, clock,
            logger, cancellationToken);

    static async Task KeepTryingAsync(Func<Task> publish, string messageType, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publish();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PublishFailed(logger, messageType, attempt, e);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, 5 * attempt)), clock, cancellationToken);
            }
        }
    }

    [LoggerMessage(9101, LogLevel.Error, "Could not publish {MessageType} (attempt {Attempt}); trying again")]
    static partial void PublishFailed(ILogger logger, string messageType, int attempt, Exception exception);
}
