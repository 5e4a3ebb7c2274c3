using Backup.Notifier.Consumers;
using Backup.Notifier.Mail;
using Backup.Notifier.Options;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using Backup.Storage;

namespace Backup.Notifier;

public static class Extensions
{
    /// <summary>The notifier: backup emails and failure alerts, over SMTP or (with no Smtp:Host) to .eml files.</summary>
    public static IHostApplicationBuilder AddNotifier(this IHostApplicationBuilder builder)
    {
        builder.AddValidatedOptions<NotifierOptions>();
        builder.AddValidatedOptions<SmtpOptions>();
        builder.AddArtifactStore();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{SmtpOptions.Section}:{nameof(SmtpOptions.Host)}"]))
            builder.Services.AddSingleton<IMailSender, PickupDirectoryMailSender>();
        else
            builder.Services.AddSingleton<IMailSender, SmtpMailSender>();
        builder.AddBackupBus(bus =>
        {
            bus.AddConsumer<SendBackupEmailConsumer>(typeof(SendBackupEmailConsumerDefinition));
            bus.AddConsumer<SendFailureAlertConsumer>(typeof(SendFailureAlertConsumerDefinition));
        });
        return builder;
    }
}
