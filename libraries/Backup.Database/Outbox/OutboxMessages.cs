using System.Diagnostics;
using System.Text.Json;

namespace Backup.Database.Outbox;

public static class OutboxMessages
{
    /// <summary>
    /// An unsent outbox row for <paramref name="message"/>, to be added to the same DbContext (and transaction) as
    /// the state change it announces. Only contracts of Backup.Contracts can be dispatched. The current span's
    /// traceparent goes with it, so the message continues that trace when it is published.
    /// </summary>
    public static OutboxMessage For<T>(T message, DateTimeOffset now) where T : class => new()
    {
        MessageType = typeof(T).FullName!,
        Payload = JsonSerializer.Serialize(message, JsonSerializerOptions.Web),
        TraceParent = Activity.Current?.Id,
        CreatedAt = now,
    };
}
