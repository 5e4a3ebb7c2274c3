using Backup.Contracts;
using Backup.Database.Notifications;
using Backup.Notifier.Delivery;
using Backup.Notifier.Mail;
using Backup.ServiceDefaults;
using MassTransit;

namespace Backup.Notifier.Consumers;

/// <summary>
/// A backup whose data looks wrong (BackupDataSuspicious): the warning email to the source's administrators, once per
/// run and recipient (<see cref="MailDelivery"/>, as the drill warnings).
/// </summary>
public sealed class SendDataWarningConsumer(MailDelivery delivery, ILogger<SendDataWarningConsumer> logger) : IConsumer<BackupDataSuspicious>
{
    public async Task Consume(ConsumeContext<BackupDataSuspicious> context)
    {
        var suspicious = context.Message;
        using var scope = logger.BeginRunScope(suspicious.RunId);
        var result = await delivery.AlertAdministratorsAsync("send data warning", suspicious.RunId, suspicious.Source,
            NotificationKinds.DataWarning, (from, to) => DataWarningEmails.Warning(from, to, suspicious), context.CancellationToken);
        if (result.SentNow > 0) Log.DataWarningSent(logger, suspicious.RunId, suspicious.Findings.Count);
    }
}
