using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>Hands a finished message to the mail server, or writes it to the pickup folder.</summary>
public interface IMailSender
{
    /// <summary>"smtp" or "pickup-directory", as published in BackupDelivered.Channel.</summary>
    string Channel { get; }

    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}
