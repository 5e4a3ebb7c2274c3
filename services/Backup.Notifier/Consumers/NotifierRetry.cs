using Backup.Notifier.Consumers;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>Endpoint retry for mail: a few spaced attempts beyond the in-call SMTP retries, then the error queue.</summary>
public static class NotifierRetry
{
    public static readonly TimeSpan[] Intervals = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];

    public static int Attempts => Intervals.Length + 1;

    public static bool IsLastAttempt(ConsumeContext context) => context.GetRetryAttempt() >= Intervals.Length;

    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry => retry.Intervals(Intervals));
}

public sealed class SendBackupEmailConsumerDefinition : ConsumerDefinition<SendBackupEmailConsumer>
{
    public SendBackupEmailConsumerDefinition() => EndpointName = "send-backup-email";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<SendBackupEmailConsumer> consumer, IRegistrationContext context) =>
        NotifierRetry.Configure(endpoint);
}

public sealed class SendFailureAlertConsumerDefinition : ConsumerDefinition<SendFailureAlertConsumer>
{
    public SendFailureAlertConsumerDefinition() => EndpointName = "send-failure-alert";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<SendFailureAlertConsumer> consumer, IRegistrationContext context) =>
        NotifierRetry.Configure(endpoint);
}
