using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// The plain RabbitMQ client, as a platform service written in any language would use it: publishes JSON bytes to
/// the documented exchange (with publisher confirms) and listens on an exchange with a queue of its own. No MassTransit
/// involved.
/// </summary>
public sealed class RawRabbit : IAsyncDisposable
{
    readonly ConnectionFactory factory;
    readonly IConnection connection;
    readonly IChannel channel;
    readonly List<IConnection> holders = [];

    RawRabbit(ConnectionFactory factory, IConnection connection, IChannel channel)
    {
        this.factory = factory;
        this.connection = connection;
        this.channel = channel;
    }

    public static async Task<RawRabbit> ConnectAsync(BackupSystem system)
    {
        var factory = new ConnectionFactory
        {
            HostName = system.Broker.Host,
            Port = system.Broker.Port,
            UserName = system.Broker.Username,
            Password = system.Broker.Password,
            VirtualHost = system.VirtualHost,
        };
        var connection = await factory.CreateConnectionAsync();
        // Publisher confirms, as the spec asks of every publisher: each publish returns once the broker has the message.
        // Without them a quorum queue may lose what was still in flight when the channel closed.
        return new RawRabbit(factory, connection, await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true)));
    }

    /// <param name="traceParent">A W3C traceparent to continue, in the AMQP header MT-Activity-Id (the documented header).</param>
    public async Task PublishAsync(string exchange, string json, string contentType = "application/vnd.masstransit+json",
        string? traceParent = null)
    {
        var properties = new BasicProperties
        {
            ContentType = contentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = Guid.NewGuid().ToString(),
            Headers = traceParent is null ? null : new Dictionary<string, object?> { ["MT-Activity-Id"] = traceParent },
        };
        await channel.BasicPublishAsync(exchange, routingKey: "", mandatory: false, properties, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Publishes a BackupRequested envelope as a non-.NET service would; with <paramref name="requestedAt"/> the same
    /// request again (a redelivery or a replay); with <paramref name="traceParent"/> in the publisher's trace.
    /// </summary>
    public Task RequestBackupAsync(Guid runId, string source, DateTimeOffset? requestedAt = null, string? traceParent = null) =>
        PublishAsync("Backup.Contracts:BackupRequested", $$"""
        {"messageType":["urn:message:Backup.Contracts:BackupRequested"],
         "message":{"runId":"{{runId}}","source":"{{source}}","requestedAt":"{{requestedAt ?? DateTimeOffset.UtcNow:O}}","requestedBy":"test" } }
        """, traceParent: traceParent);

    /// <summary>
    /// Publishes any contract (by its runtime type) as its JSON envelope (web defaults: camelCase), as a non-.NET service
    /// would; the test stands in for the service that publishes it, as the broker's administrator.
    /// </summary>
    public Task PublishEventAsync(object message) => PublishAsync($"Backup.Contracts:{message.GetType().Name}",
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messageType"] = new[] { $"urn:message:Backup.Contracts:{message.GetType().Name}" },
            ["message"] = message,
        }, JsonSerializerOptions.Web));

    /// <summary>Publishes a RestoreRequested envelope as a non-.NET service would; without a target the restorer names one.</summary>
    /// <remarks>keepPrivileges and keepFailedDatabase are sent only when true, as a publisher older than them sends none.</remarks>
    public Task RequestRestoreAsync(Guid restoreId, string artifactKey, string? targetDatabase = null, bool overwrite = false,
        bool keepPrivileges = false, bool keepFailedDatabase = false)
    {
        var message = new Dictionary<string, object?>
        {
            ["restoreId"] = restoreId,
            ["artifactKey"] = artifactKey,
            ["overwrite"] = overwrite,
            ["requestedAt"] = DateTimeOffset.UtcNow,
            ["requestedBy"] = "test",
        };
        if (targetDatabase is not null) message["targetDatabase"] = targetDatabase;
        if (keepPrivileges) message["keepPrivileges"] = true;
        if (keepFailedDatabase) message["keepFailedDatabase"] = true;
        return PublishAsync("Backup.Contracts:RestoreRequested", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messageType"] = new[] { "urn:message:Backup.Contracts:RestoreRequested" },
            ["message"] = message,
        }));
    }

    /// <summary>Binds a private queue to a contract's exchange and collects every message's JSON "message" part.</summary>
    public async Task<ConcurrentQueue<JsonElement>> ListenAsync(string exchange)
    {
        var received = new ConcurrentQueue<JsonElement>();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, "");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            using var document = JsonDocument.Parse(delivery.Body);
            received.Enqueue(document.RootElement.GetProperty("message").Clone());
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return received;
    }

    /// <summary>
    /// A consumer that takes one message and never acknowledges it, on a connection of its own. The returned task
    /// completes when the broker closes its channel for it (RabbitMQ's consumer timeout: PRECONDITION_FAILED), with
    /// the broker's reply code: proof that the timeout has fired on this broker for a delivery held that long.
    /// </summary>
    /// <remarks>
    /// Its own connection, not this one's: the client handles a channel the broker closes on the connection's frame
    /// reader, and a CI run once saw this connection's listeners hear nothing more after that close (the catalog heard
    /// the event; the test's queue did not, for 60 s). Listening and holding share nothing now.
    /// </remarks>
    public async Task<Task<ushort>> HoldOneMessageUnacknowledgedAsync()
    {
        var holderConnection = await factory.CreateConnectionAsync();
        holders.Add(holderConnection);
        var holder = await holderConnection.CreateChannelAsync();
        var closed = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
        holder.ChannelShutdownAsync += (_, reason) =>
        {
            closed.TrySetResult(reason.ReplyCode);
            return Task.CompletedTask;
        };
        var queue = await holder.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: false);
        await holder.BasicPublishAsync("", queue.QueueName, Encoding.UTF8.GetBytes("held"));
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(holder);
        consumer.ReceivedAsync += (_, _) =>
        {
            delivered.TrySetResult(); // and never acknowledged
            return Task.CompletedTask;
        };
        await holder.BasicConsumeAsync(queue.QueueName, autoAck: false, consumer);
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return closed.Task;
    }

    /// <summary>How the listening connection and channel stand, for a test's message when an awaited event is late.</summary>
    public string Describe() =>
        $"listening connection {(connection.IsOpen ? "open" : $"closed ({connection.CloseReason})")}, " +
        $"its channel {(channel.IsOpen ? "open" : $"closed ({channel.CloseReason})")}";

    /// <summary>Declares a durable queue with <paramref name="arguments"/> (x-queue-type, x-max-length, …) before a service does.</summary>
    public async Task DeclareQueueAsync(string queue, IDictionary<string, object?> arguments) =>
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);

    /// <summary>Takes one message off a queue, if there is one (for looking into _error queues).</summary>
    public async Task<string?> GetAsync(string queue)
    {
        var result = await channel.BasicGetAsync(queue, autoAck: true);
        return result is null ? null : Encoding.UTF8.GetString(result.Body.Span);
    }

    /// <summary>
    /// Waits for <paramref name="count"/> messages in an _error (or _skipped) queue and takes them. MassTransit declares
    /// such a queue at its first message, so its depth is asked of the management API until it is there (a basic.get
    /// on a queue that does not exist yet would close the channel).
    /// </summary>
    public async Task<List<string>> TakeAsync(BackupSystem system, string queue, int count)
    {
        await Eventually.True(async () =>
        {
            try { return await system.Broker.QueueDepthAsync(system.VirtualHost, queue) >= count; }
            catch (HttpRequestException) { return false; }
        }, $"{count} messages in {queue}");
        var taken = new List<string>();
        while (taken.Count < count && await GetAsync(queue) is { } message) taken.Add(message);
        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        // A holder's connection is let go without waiting on a close handshake it may never finish.
        foreach (var holder in holders)
        {
            await holder.AbortAsync(TimeSpan.FromSeconds(5));
            await holder.DisposeAsync();
        }
        await channel.DisposeAsync();
        await connection.DisposeAsync();
    }
}
