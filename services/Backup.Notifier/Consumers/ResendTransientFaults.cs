using System.Runtime.ExceptionServices;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging;

namespace Backup.Notifier.Consumers;

/// <summary>
/// A notifier message whose transient fault outlived every retry (<see cref="NotifierRetry"/>): held for
/// Notifier:ResendDelay (so an outage is not spun on), then sent again to the back of its own queue with
/// <see cref="NotifierRetry.RoundHeader"/> one higher, and acknowledged once the broker has confirmed the copy. The
/// copy is a new message to RabbitMQ (delivery count 0), so rounds never count against the quorum queue's delivery
/// limit. If the copy cannot be sent, the fault goes on to the error pipe, whose <c>RequeueTransientFaultsFilter</c>
/// hands the message back to RabbitMQ: never lost, never in _error for an outage.
/// </summary>
sealed class ResendTransientFaults<TMessage>(TimeSpan delay, ILogger logger) : IFilter<ConsumeContext<TMessage>>
    where TMessage : class
{
    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception fault) when (NotifierRetry.IsTransient(fault))
        {
            var round = NotifierRetry.RoundOf(context) + 1;
            ResendLog.Resending(logger, typeof(TMessage).Name, context.MessageId, round, delay.TotalSeconds, fault.GetType().Name);
            try
            {
                await HoldAsync(context.CancellationToken);
                var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
                // Not the consume's token: a notifier stopping meanwhile still sends the copy, then acknowledges.
                await queue.Send(context.Message, new ForwardMessagePipe<TMessage>(context,
                    Pipe.Execute<SendContext<TMessage>>(copy => copy.Headers.Set(NotifierRetry.RoundHeader, round))), CancellationToken.None);
            }
            catch (Exception resend)
            {
                ResendLog.ResendFailed(logger, typeof(TMessage).Name, context.MessageId, resend.GetType().Name);
                ExceptionDispatchInfo.Capture(fault).Throw();
            }
        }
    }

    /// <summary>The wait before the copy; cut short when the notifier stops, so the copy is sent before it does.</summary>
    async Task HoldAsync(CancellationToken stopping)
    {
        try { await Task.Delay(delay, stopping); }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("resendTransientFaults");
}

/// <summary>Puts <see cref="ResendTransientFaults{TMessage}"/> on every message type of an endpoint, outside what is configured after it.</summary>
sealed class ResendTransientFaultsObserver : ConfigurationObserver, IMessageConfigurationObserver
{
    readonly TimeSpan delay;
    readonly ILogger logger;

    public ResendTransientFaultsObserver(IConsumePipeConfigurator endpoint, TimeSpan delay, ILoggerFactory loggers) : base(endpoint)
    {
        this.delay = delay;
        logger = loggers.CreateLogger("Backup.Notifier.Consumers.ResendTransientFaults");
        Connect(this);
    }

    public void MessageConfigured<TMessage>(IConsumePipeConfigurator configurator) where TMessage : class =>
        configurator.AddPipeSpecification(new FilterPipeSpecification<ConsumeContext<TMessage>>(new ResendTransientFaults<TMessage>(delay, logger)));
}

static partial class ResendLog
{
    [LoggerMessage(2019, LogLevel.Warning, "{MessageType} {MessageId} failed with a transient fault ({Fault}) after its retries: sent again to its queue in {Seconds} s (round {Round})")]
    public static partial void Resending(ILogger logger, string messageType, Guid? messageId, int round, double seconds, string fault);

    [LoggerMessage(2020, LogLevel.Warning, "{MessageType} {MessageId} could not be sent again ({Error}): handed back to RabbitMQ instead")]
    public static partial void ResendFailed(ILogger logger, string messageType, Guid? messageId, string error);
}
