using Backup.Contracts;
using Backup.Database.Notifications;
using Backup.Notifier.Alerts;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// A backup whose data looks wrong (BackupDataSuspicious) to every configured webhook (kind backup.data_suspicious,
/// with the findings), once per run and webhook (<see cref="WebhookDelivery"/>).
/// </summary>
public sealed class PostDataWarningWebhooksConsumer(WebhookDelivery webhooks, ILogger<PostDataWarningWebhooksConsumer> logger) :
    IConsumer<BackupDataSuspicious>
{
    public const string Kind = "backup.data_suspicious";

    public async Task Consume(ConsumeContext<BackupDataSuspicious> context)
    {
        var suspicious = context.Message;
        using var scope = logger.BeginRunScope(suspicious.RunId);
        await webhooks.PostOnceAsync(suspicious.RunId, suspicious.Source, NotificationKinds.DataWarningWebhook, new Alert
        {
            Kind = Kind,
            Source = suspicious.Source,
            RunId = suspicious.RunId,
            At = suspicious.DetectedAt,
            Title = DataWarningEmails.Title(suspicious),
            Text = DataWarningEmails.Text(suspicious),
            Findings = suspicious.Findings,
            FirstCheck = DataWarningEmails.FirstCheck,
        }, context.CancellationToken);
    }
}
