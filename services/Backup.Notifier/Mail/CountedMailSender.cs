using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>
/// Every email the notifier sends passes here (backup emails, failure and outcome-unknown alerts, stale alarms):
/// it counts each one sent, failed, or unknown (<see cref="MailOutcomeUnknownException"/>) in
/// <see cref="NotifierMetrics"/>. A send cancelled by shutdown is not counted.
/// </summary>
public sealed class CountedMailSender(IMailSender inner, NotifierMetrics metrics) : IMailSender
{
    public string Channel => inner.Channel;

    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await inner.SendAsync(message, cancellationToken);
        }
        catch (MailOutcomeUnknownException)
        {
            metrics.Notified(NotifierMetrics.Email, NotifierMetrics.Unknown);
            throw;
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            metrics.Notified(NotifierMetrics.Email, NotifierMetrics.Failed);
            throw;
        }
        metrics.Notified(NotifierMetrics.Email, NotifierMetrics.Sent);
    }
}
