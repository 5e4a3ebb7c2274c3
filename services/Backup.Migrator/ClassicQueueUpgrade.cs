using Backup.ServiceDefaults.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Backup.Migrator;

/// <summary>
/// An installation older than the quorum queues has classic queues of the same names, which RabbitMQ refuses to
/// declare again as quorum queues (PRECONDITION_FAILED). Converted around the topology's declaration, never losing a
/// message, each classic queue (an endpoint's, its _error's or its _skipped's; each sits behind a fanout exchange of its
/// own name):
/// <list type="number">
/// <item><see cref="MoveAsideAsync"/>, before: a quorum holding queue <c>&lt;name&gt;_upgrade</c> is bound to the
/// queue's exchange, the classic queue unbound from it (what is published meanwhile lands in the holding queue), its
/// messages moved into the holding queue (each acknowledged only once the broker has confirmed its copy), and the
/// classic queue deleted (only if empty and unused: a service still consuming from it stops the step).</item>
/// <item>The topology is declared: the quorum queue, bound to the same exchange.</item>
/// <item><see cref="MoveBackAsync"/>, after: the holding queue unbound, its messages moved into the quorum queue
/// the same way, and deleted. A _skipped queue, which MassTransit declares only at its first message, is declared
/// here as it would declare it.</item>
/// </list>
/// A step that dies half-way is finished by the next run (both steps look at what is there). A message published
/// in the instant between a binding and an unbinding can arrive twice; every consumer is idempotent.
/// </summary>
public sealed class ClassicQueueUpgrade(RabbitMqOptions options, ILogger logger) : IAsyncDisposable
{
    public const string HoldingSuffix = "_upgrade";

    static readonly Dictionary<string, object?> Quorum = new() { ["x-queue-type"] = "quorum" };
    static readonly Dictionary<string, object?> Classic = new() { ["x-queue-type"] = "classic" };

    IConnection? connection;

    /// <summary>Moves each of <paramref name="queues"/> that is a classic queue aside; returns how many messages were moved.</summary>
    public async Task<long> MoveAsideAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        long moved = 0;
        foreach (var queue in queues)
        {
            if (!await IsClassicAsync(queue, cancellationToken)) continue;
            await using var channel = await ChannelAsync(cancellationToken);
            var holding = queue + HoldingSuffix;
            await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(holding, durable: true, exclusive: false, autoDelete: false, Quorum, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(holding, queue, "", cancellationToken: cancellationToken);
            await channel.QueueUnbindAsync(queue, queue, "", cancellationToken: cancellationToken);
            var count = await MoveAsync(channel, queue, queue, cancellationToken);
            await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: true, cancellationToken: cancellationToken);
            UpgradeLog.MovedAside(logger, queue, count, holding);
            moved += count;
        }
        return moved;
    }

    /// <summary>Moves the messages of each holding queue left by <see cref="MoveAsideAsync"/> into its quorum queue, declared by now.</summary>
    public async Task MoveBackAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        foreach (var queue in queues)
        {
            var holding = queue + HoldingSuffix;
            if (!await ExistsAsync(holding, cancellationToken)) continue;
            await using var channel = await ChannelAsync(cancellationToken);
            if (!await ExistsAsync(queue, cancellationToken))
            {
                // A _skipped queue: declared as MassTransit declares it (the endpoint's queue type, no limit).
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, Quorum, cancellationToken: cancellationToken);
                await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken);
            }
            await channel.QueueUnbindAsync(holding, queue, "", cancellationToken: cancellationToken);
            var count = await MoveAsync(channel, holding, queue, cancellationToken);
            // Quorum queues refuse if-unused and if-empty: emptiness is asked first (nothing reaches it once unbound).
            var left = await channel.QueueDeclarePassiveAsync(holding, cancellationToken);
            if (left.MessageCount > 0)
                throw new InvalidOperationException($"{holding} still holds {left.MessageCount} message(s): run the migrator again.");
            await channel.QueueDeleteAsync(holding, ifUnused: false, ifEmpty: false, cancellationToken: cancellationToken);
            UpgradeLog.MovedBack(logger, count, queue);
        }
    }

    /// <summary>Every message of <paramref name="from"/> published to <paramref name="exchange"/>, then acknowledged once confirmed.</summary>
    static async Task<long> MoveAsync(IChannel channel, string from, string exchange, CancellationToken cancellationToken)
    {
        long count = 0;
        while (await channel.BasicGetAsync(from, autoAck: false, cancellationToken) is { } message)
        {
            await channel.BasicPublishAsync(exchange, "", mandatory: true, new BasicProperties(message.BasicProperties), message.Body, cancellationToken);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
            count++;
        }
        return count;
    }

    /// <summary>
    /// True when <paramref name="queue"/> exists as a classic queue: declaring it again as one succeeds (a quorum queue
    /// refuses that with PRECONDITION_FAILED), asked only once a passive declaration has shown that it exists.
    /// </summary>
    async Task<bool> IsClassicAsync(string queue, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(queue, cancellationToken)) return false;
        await using var channel = await ChannelAsync(cancellationToken);
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, Classic, cancellationToken: cancellationToken);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            return false;
        }
    }

    async Task<bool> ExistsAsync(string queue, CancellationToken cancellationToken)
    {
        await using var channel = await ChannelAsync(cancellationToken);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    /// <summary>A channel of its own (a refused declaration closes it), publishing with confirms: a publish returns once the broker has the message.</summary>
    async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        connection ??= await ConnectAsync(cancellationToken);
        return await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
    }

    /// <summary>A connection to the first node of RabbitMq:Host or RabbitMq:Hosts that answers, verified as the bus's is.</summary>
    Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            VirtualHost = options.VirtualHost,
            UserName = options.Username,
            Password = options.Password,
        };
        var ssl = Tls();
        var nodes = options.Nodes.Select(node => ssl is null ? new AmqpTcpEndpoint(node.Host, node.Port) : new AmqpTcpEndpoint(node.Host, node.Port, ssl));
        return factory.CreateConnectionAsync([.. nodes], "backup-migrator classic-queue-upgrade", cancellationToken);
    }

    SslOption? Tls()
    {
        if (!options.UseTls) return null;
        var authority = BrokerCertificateAuthority.Load(options.CaFile!);
        return new SslOption
        {
            Enabled = true,
            ServerName = BrokerCertificateAuthority.ServerNameOf(options),
            Version = BrokerCertificateAuthority.Protocols,
            CertificateValidationCallback = authority.Validator(refusal => UpgradeLog.CertificateRefused(logger, refusal)),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null) await connection.DisposeAsync();
    }
}

static partial class UpgradeLog
{
    [LoggerMessage(9301, LogLevel.Warning, "Classic queue {Queue} converted: its {Count} message(s) moved to {Holding}, the classic queue deleted")]
    public static partial void MovedAside(ILogger logger, string queue, long count, string holding);

    [LoggerMessage(9302, LogLevel.Warning, "{Count} message(s) moved back into the quorum queue {Queue}")]
    public static partial void MovedBack(ILogger logger, long count, string queue);

    [LoggerMessage(9303, LogLevel.Error, "Refused the broker's TLS certificate for the classic-queue upgrade: {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string reason);
}
