using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>
/// Every email the notifier sends passes here (backup emails, failure and outcome-unknown alerts, stale alarms):
/// it counts each one sent, failed, or unknown (<see cref="MailOutcomeUnknownException"/>) in
/// <see cref="NotifierMetrics"/>. An email some of whose recipients the server refused (the others took it) counts as
/// sent and once as failed. A send cancelled by shutdown is not counted.
/// </summary>
public sealed class CountedMailSender(IMailSender inner, NotifierMetrics metrics) : IMailSender
{
    public string Channel => inner.Channel;

    public async Task<IReadOnlyDictionary<string, string>> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> refused;
        try
        {
            refused = await inner.SendAsync(message, cancellationToken);
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
        if (refused.Count > 0) metrics.Notified(NotifierMetrics.Email, NotifierMetrics.Failed);
        return refused;
    }
}
