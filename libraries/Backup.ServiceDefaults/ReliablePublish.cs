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
    public static async Task PublishUntilSentAsync<T>(this IPublishEndpoint bus, T message, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken) where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await bus.Publish(message, cancellationToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                PublishFailed(logger, typeof(T).Name, attempt, e);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, 5 * attempt)), clock, cancellationToken);
            }
        }
    }

    [LoggerMessage(9101, LogLevel.Error, "Could not publish {MessageType} (attempt {Attempt}); trying again")]
    static partial void PublishFailed(ILogger logger, string messageType, int attempt, Exception exception);
}
