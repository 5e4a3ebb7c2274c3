using System.Runtime.ExceptionServices;
using Backup.Database.Outages;
using Backup.Notifier.Alerts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using MailKit;
using MailKit.Net.Smtp;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Notifier.Consumers;

/// <summary>
/// The notifier's retries, one policy per fault, never one on top of another:
/// <list type="bullet">
/// <item>A fault inside one call that a moment can cure is retried in that call by a Polly pipeline, and only there:
/// the SMTP connect (<c>smtp-connect</c>: Smtp:Retries) and each webhook or ping request (<c>notifier-http</c>).
/// When those retries are spent (<see cref="MailServerUnreachableException"/>, <see cref="AlertHttpException"/>)
/// the endpoint does not retry the message again: a transient one starts its next round at once.</item>
/// <item>The catalog database unavailable (<see cref="CatalogOutage.IsUnavailable"/>) holds the message for
/// CatalogOutage:RideOut (<see cref="CatalogOutageRetry"/>), then starts its next round. It is not a failed
/// delivery: no BackupDeliveryFailed is published for it (the catalog could not record one anyway).</item>
/// <item>Every other transient fault (a 4xx reply or a connection lost before the message data, authentication
/// failing, another notifier busy with the same delivery) is retried by the endpoint after each of
/// Notifier:RetryDelays, and then starts its next round.</item>
/// <item>The next round (<see cref="ResendTransientFaults{TMessage}"/>): the message is held for Notifier:ResendDelay,
/// then sent again to the back of its own queue as a new message (its headers kept, <see cref="RoundHeader"/> counting
/// the rounds) and only then, once the broker has confirmed the copy, acknowledged. RabbitMQ counts a delivery
/// against the quorum queue's delivery limit only when a message is handed back, so an outage of any length never
/// reaches the limit, and the limit is left to catch a poison message (one that crashes the notifier each time).
/// The copy and the original can both exist for a moment (the notifier dies between the confirm and the ack): the
/// deliveries table makes the second one a no-op, so nothing is lost and nothing is sent twice.</item>
/// <item>A refusal by the mail server (5xx) is not retried at all and goes to the endpoint's _error queue at once;
/// anything else that isn't transient (a bad message, a 4xx webhook answer) goes there after its retries.</item>
/// </list>
/// </summary>
public static class NotifierRetry
{
    /// <summary>
    /// True when <paramref name="fault"/> ends this delivery of the message: the endpoint will not retry it (the
    /// last of Notifier:RetryDelays has passed, or the fault was retried in its call already) and, when transient,
    /// the message goes back to the broker now. Never for the catalog database unavailable: that is not a failed delivery.
    /// </summary>
    public static bool IsLastAttempt(ConsumeContext context, Exception fault, NotifierOptions options) =>
        !CatalogOutage.IsUnavailable(fault) && (RetriedInCall(fault) || context.GetRetryAttempt() >= options.EffectiveRetryDelays.Count);

    /// <summary>Faults a Polly pipeline has retried in the call already: the endpoint doesn't retry them again.</summary>
    public static bool RetriedInCall(Exception fault) => fault is MailServerUnreachableException or AlertHttpException;

    /// <summary>The header of a message sent again by <see cref="ResendTransientFaults{TMessage}"/>: its round (1, 2, …).</summary>
    public const string RoundHeader = "Backup-Notifier-Round";

    /// <summary>The message's round: 0 for the event as published, 1 and up for the copies sent again after a transient fault.</summary>
    public static int RoundOf(ConsumeContext context) => context.Headers.Get<int>(RoundHeader) ?? 0;

    /// <summary>True when this message came round again (sent again after a transient fault, or handed back by RabbitMQ).</summary>
    public static bool CameRoundAgain(ConsumeContext context) => context.ReceiveContext.Redelivered || RoundOf(context) > 0;

    public static void Configure(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<NotifierOptions>>().Value;
        var delays = options.EffectiveRetryDelays.ToArray();
        // First, so it is the outermost filter: it sees a fault only once every retry below has given up.
        _ = new ResendTransientFaultsObserver(endpoint, options.ResendDelay, context.GetRequiredService<ILoggerFactory>());
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new RequeueTransientFaultsFilter());
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.UseCatalogOutageRetry(context);
        endpoint.UseMessageRetry(retry =>
        {
            retry.LeaveOutagesOut();
            retry.Intervals(delays);
            retry.Ignore<MailRefusedException>(); // final: a 5xx would be refused again
            retry.Ignore<MailServerUnreachableException>(); // retried in the call (smtp-connect)
            retry.Ignore<AlertHttpException>(); // retried in the call (notifier-http)
        });
    }

    /// <summary>Faults that another attempt later can cure.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        MailOutcomeUnknownException or MailRefusedException => false,
        MailServerUnreachableException or DeliveryInProgressException => true,
        AlertHttpException http => http.Transient,
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        MailKit.Security.AuthenticationException => true, // fixed by an operator, then the next delivery goes through
        System.Net.Sockets.SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException or TimeoutException => true,
        _ when CatalogOutage.IsUnavailable(e) => true,
        NpgsqlException { IsTransient: true } => true, // a deadlock or serialization failure (an outage is the line above)
        _ when e.InnerException is { } inner => IsTransient(inner),
        _ => false,
    };

    /// <summary>
    /// Reached by a transient fault only when <see cref="ResendTransientFaults{TMessage}"/> could not send the message
    /// again (the broker's link failed meanwhile): the transport nacks it and RabbitMQ requeues it, one delivery against
    /// the limit, never the _error queue for an outage.
    /// </summary>
    sealed class RequeueTransientFaultsFilter : IFilter<ExceptionReceiveContext>
    {
        public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
        {
            if (IsTransient(context.Exception))
                ExceptionDispatchInfo.Capture(context.Exception).Throw(); // the transport nacks: RabbitMQ requeues it
            return next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("requeueTransientFaults");
    }
}

/// <summary>A notifier endpoint: its queue's name, and <see cref="NotifierRetry"/> on it.</summary>
public abstract class NotifierConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected NotifierConsumerDefinition(string endpointName) => EndpointName = endpointName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<TConsumer> consumer, IRegistrationContext context) =>
        NotifierRetry.Configure(endpoint, context);
}

public sealed class SendBackupEmailConsumerDefinition() : NotifierConsumerDefinition<SendBackupEmailConsumer>("send-backup-email");

public sealed class SendFailureAlertConsumerDefinition() : NotifierConsumerDefinition<SendFailureAlertConsumer>("send-failure-alert");

public sealed class PostFailureWebhooksConsumerDefinition() : NotifierConsumerDefinition<PostFailureWebhooksConsumer>("post-failure-webhooks");

public sealed class PingHealthchecksConsumerDefinition() : NotifierConsumerDefinition<PingHealthchecksConsumer>("ping-healthchecks");

public sealed class SendDrillAlertConsumerDefinition() : NotifierConsumerDefinition<SendDrillAlertConsumer>("send-drill-alert");

public sealed class PostDrillWebhooksConsumerDefinition() : NotifierConsumerDefinition<PostDrillWebhooksConsumer>("post-drill-webhooks");

public sealed class SendDataWarningConsumerDefinition() : NotifierConsumerDefinition<SendDataWarningConsumer>("send-data-warning");

public sealed class PostDataWarningWebhooksConsumerDefinition() : NotifierConsumerDefinition<PostDataWarningWebhooksConsumer>("post-data-warning-webhooks");
