using Backup.Contracts;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Consumers;

/// <summary>On BackupFailed, sends an urgent alert email to the administrators at once.</summary>
public sealed class SendFailureAlertConsumer(
    IOptions<NotifierOptions> options,
    IMailSender mail,
    ILogger<SendFailureAlertConsumer> logger) : IConsumer<BackupFailed>
{
    public async Task Consume(ConsumeContext<BackupFailed> context)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = context.Message.RunId });
        using var activity = NotifierTelemetry.Source.StartActivity("send failure alert");
        activity?.SetTag("backup.run_id", context.Message.RunId);
        var message = BackupEmails.FailureAlert(options.Value.From, options.Value.Administrators, context.Message);
        await mail.SendAsync(message, context.CancellationToken);
        Log.AlertSent(logger, context.Message.RunId, context.Message.ErrorCode);
    }
}
