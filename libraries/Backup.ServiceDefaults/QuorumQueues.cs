using MassTransit;

namespace Backup.ServiceDefaults;

/// <summary>
/// Every receive endpoint's queue as a RabbitMQ quorum queue (replicated on a cluster, durable), declared explicitly
/// with its arguments by <see cref="BusDefaults.AddBackupBus"/> and the migrator's <see cref="BusDefaults.AddBackupTopology"/>
/// alike, so the topology the migrator deploys is the one the services declare:
/// <list type="bullet">
/// <item><c>x-delivery-limit</c> <see cref="DeliveryLimit"/>: a message handed back to the queue that often (a consumer
/// that crashes, loses its channel or nacks it each time) is a poison message and is dead-lettered instead of looping.
/// No consumer of the system hands a message back on purpose: a fault is retried in the consumer, moved to _error, or
/// (the notifier's transient faults) sent again as a new message, so only crashes count.</item>
/// <item>Dead-lettered to the endpoint's own <c>&lt;queue&gt;_error</c> exchange and queue (declared here with the
/// endpoint, not at the first fault, so a dead-lettered message always has somewhere to go), where faulted messages
/// already land; RabbitMQ's <c>x-death</c> header (reason <c>delivery_limit</c>) tells the two apart.</item>
/// <item><c>x-dead-letter-strategy</c> at-least-once (which needs <c>x-overflow</c> reject-publish): the message leaves
/// the queue only once the _error queue has confirmed it, so it is never lost in between.</item>
/// </list>
/// The _error and _skipped queues are quorum queues too (MassTransit copies the endpoint's arguments to them), without
/// a limit or dead-lettering: they are where messages end, read by operators.
/// Bus-temporary (response) queues are exclusive and auto-delete, cannot be quorum queues, and are left as they are.
/// </summary>
public static class QuorumQueues
{
    /// <summary>How many times a message may be handed back to its queue before it is dead-lettered (RabbitMQ 4's default).</summary>
    public const int DeliveryLimit = 20;

    public const string ErrorSuffix = "_error";

    const string DeliveryLimitArgument = "x-delivery-limit";
    const string DeadLetterExchangeArgument = "x-dead-letter-exchange";
    const string DeadLetterStrategyArgument = "x-dead-letter-strategy";
    const string OverflowArgument = "x-overflow";

    /// <summary>The arguments every endpoint queue is declared with besides its dead-letter exchange (for tests and docs).</summary>
    public static IReadOnlyDictionary<string, object> EndpointArguments { get; } = new Dictionary<string, object>
    {
        ["x-queue-type"] = "quorum",
        [DeliveryLimitArgument] = DeliveryLimit,
        [DeadLetterStrategyArgument] = "at-least-once",
        [OverflowArgument] = "reject-publish",
    };

    /// <summary>Declares every endpoint <paramref name="bus"/> configures (ConfigureEndpoints) as a quorum queue.</summary>
    public static void DeclareEndpointsAsQuorumQueues(this IBusRegistrationConfigurator bus) =>
        bus.AddConfigureEndpointsCallback((_, queue, endpoint) =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) Declare(rabbit, queue);
        });

    /// <summary>The _error and _skipped queues: quorum like their endpoint's, without its limit and dead-lettering.</summary>
    public static void DeclareEndQueuesWithoutLimit(this IRabbitMqBusFactoryConfigurator rabbit)
    {
        rabbit.SendTopology.ConfigureErrorSettings = WithoutLimit;
        rabbit.SendTopology.ConfigureDeadLetterSettings = WithoutLimit;
    }

    static void Declare(IRabbitMqReceiveEndpointConfigurator endpoint, string queue)
    {
        endpoint.SetQuorumQueue();
        foreach (var (key, value) in EndpointArguments) endpoint.SetQueueArgument(key, value);
        // Declares the <queue>_error exchange, the quorum queue bound to it, and x-dead-letter-exchange.
        endpoint.BindDeadLetterQueue(queue + ErrorSuffix, queue + ErrorSuffix, error => error.SetQuorumQueue());
    }

    static void WithoutLimit(IRabbitMqQueueBindingConfigurator queue)
    {
        foreach (var key in (string[])[DeliveryLimitArgument, DeadLetterExchangeArgument, DeadLetterStrategyArgument, OverflowArgument])
            queue.SetQueueArgument(key, null!);
    }
}
