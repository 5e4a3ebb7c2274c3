using System.Runtime.ExceptionServices;
using Backup.Notifier.Alerts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using MailKit;
using MailKit.Net.Smtp;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Notifier.Consumers;

/// <summary>
/// The notifier's endpoints: a few spaced attempts (Notifier:RetryDelays) beyond the in-call retries of SMTP and
/// HTTP; then a transient fault (the mail server or a webhook unreachable, the catalog database away, another
/// notifier busy with the same delivery) hands the message back to RabbitMQ (nack with requeue), which delivers it
/// again: never dropped, never acknowledged as failed. A refusal by the mail server (5xx) is not retried at all and
/// goes to the endpoint's _error queue at once; anything else (a bad message) goes there after the retries.
/// </summary>
public static class NotifierRetry
{
    public static bool IsLastAttempt(ConsumeContext context, NotifierOptions options) =>
        context.GetRetryAttempt() >= options.EffectiveRetryDelays.Count;

    public static void Configure(IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var delays = context.GetRequiredService<IOptions<NotifierOptions>>().Value.EffectiveRetryDelays.ToArray();
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new RequeueTransientFaultsFilter());
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.UseMessageRetry(retry =>
        {
            retry.Intervals(delays);
            retry.Ignore<MailRefusedException>(); // final: a 5xx would be refused again
        });
    }

    /// <summary>Faults that another attempt later can cure.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        MailOutcomeUnknownException or MailRefusedException => false,
        DeliveryInProgressException => true,
        AlertHttpException http => http.Transient,
        SmtpCommandException command => (int)command.StatusCode is >= 400 and < 500,
        MailKit.Security.AuthenticationException => true, // fixed by an operator, then the next delivery goes through
        System.Net.Sockets.SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException or TimeoutException => true,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException,
        _ when e.InnerException is { } inner => IsTransient(inner),
        _ => false,
    };

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
