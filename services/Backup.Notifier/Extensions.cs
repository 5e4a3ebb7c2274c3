using Backup.Database;
using Backup.Notifier.Alerts;
using Backup.Notifier.Consumers;
using Backup.Notifier.Delivery;
using Backup.Notifier.Drills;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.Notifier.Stale;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;
using MassTransit;
using Microsoft.Extensions.Options;
using Polly;

namespace Backup.Notifier;

public static class Extensions
{
    /// <summary>
    /// The notifier: backup emails (with their verification), failure alerts and restore drill alerts (once per run,
    /// recipient and kind, recorded in the catalog), the warning of a backup whose data looks wrong (email and webhooks,
    /// once each), webhooks and healthchecks.io pings, and the stale alarms (no
    /// successful backup; with drills on, no verified backup); over SMTP or (with no Smtp:Host) to .eml files.
    /// </summary>
    public static IHostApplicationBuilder AddNotifier(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<NotifierOptions>();
        builder.AddValidatedOptions<SmtpOptions>();
        builder.AddArtifactStore();
        builder.AddCatalogDatabase();

        // Every email goes through CountedMailSender; the stale alarm worker resolving it at start creates the meter's gauges too.
        builder.Services.AddSingleton<NotifierMetrics>();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{SmtpOptions.Section}:{nameof(SmtpOptions.Host)}"]))
            builder.Services.AddSingleton<IMailSender>(services => new CountedMailSender(
                ActivatorUtilities.CreateInstance<PickupDirectoryMailSender>(services), services.GetRequiredService<NotifierMetrics>()));
        else
            builder.Services.AddSingleton<IMailSender>(services => new CountedMailSender(
                ActivatorUtilities.CreateInstance<SmtpMailSender>(services), services.GetRequiredService<NotifierMetrics>()));
        builder.Services.AddResiliencePipeline(SmtpMailSender.PipelineName, (pipeline, context) =>
            SmtpMailSender.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<SmtpOptions>>().Value));

        builder.Services.AddHttpClient(AlertHttp.ClientName, (services, http) =>
                http.Timeout = services.GetRequiredService<IOptions<NotifierOptions>>().Value.HttpTimeout)
            .RemoveAllLoggers(); // webhook and ping URLs carry credentials: never logged
        builder.Services.AddResiliencePipeline<string, HttpResponseMessage>(AlertHttp.PipelineName,
            pipeline => AlertHttp.Configure(pipeline, TimeSpan.FromSeconds(1)));
        builder.Services.AddSingleton<AlertHttp>();
        builder.Services.AddSingleton<WebhookPoster>();
        builder.Services.AddSingleton<HealthchecksPinger>();

        builder.Services.AddSingleton<DeliveryLedger>();
        builder.Services.AddSingleton<MailDelivery>();
        builder.Services.AddSingleton<WebhookDelivery>();
        builder.Services.AddSingleton<DrillFacts>();

        builder.Services.AddSingleton<StaleSources>();
        builder.Services.AddHostedService<StaleAlarmWorker>();
        builder.Services.AddHealthChecks().AddCheck<StaleSourcesHealthCheck>(StaleSourcesHealthCheck.Name, tags: StaleSourcesHealthCheck.Tags);

        builder.AddBackupBus(AddNotifierConsumers);
        return builder;
    }

    /// <summary>The notifier's consumers, each with its definition (its queue and <see cref="NotifierRetry"/>); the migrator declares their topology from here too.</summary>
    public static void AddNotifierConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendBackupEmailConsumer>(typeof(SendBackupEmailConsumerDefinition));
        bus.AddConsumer<SendFailureAlertConsumer>(typeof(SendFailureAlertConsumerDefinition));
        bus.AddConsumer<PostFailureWebhooksConsumer>(typeof(PostFailureWebhooksConsumerDefinition));
        bus.AddConsumer<PingHealthchecksConsumer>(typeof(PingHealthchecksConsumerDefinition));
        bus.AddConsumer<SendDrillAlertConsumer>(typeof(SendDrillAlertConsumerDefinition));
        bus.AddConsumer<PostDrillWebhooksConsumer>(typeof(PostDrillWebhooksConsumerDefinition));
        bus.AddConsumer<SendDataWarningConsumer>(typeof(SendDataWarningConsumerDefinition));
        bus.AddConsumer<PostDataWarningWebhooksConsumer>(typeof(PostDataWarningWebhooksConsumerDefinition));
    }
}
