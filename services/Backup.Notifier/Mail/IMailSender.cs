using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>Hands a finished message to the mail server, or writes it to the pickup folder.</summary>
public interface IMailSender
{
    /// <summary>"smtp" or "pickup-directory", as published in BackupDelivered.Channel.</summary>
    string Channel { get; }

    /// <summary>
    /// Sends <paramref name="message"/> to its recipients; returns those the server refused for good (a 5xx reply to
    /// RCPT TO: address → the server's reply) while it took the message for the others. Throws
    /// <see cref="MailRefusedException"/> when it refused the message or every recipient.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> SendAsync(MimeMessage message, CancellationToken cancellationToken);
}
