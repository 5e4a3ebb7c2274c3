using Backup.Notifier.Options;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Backup.Notifier.Mail;

/// <summary>
/// With no SMTP server configured, each message becomes a .eml file in Notifier:PickupDirectory (written under a
/// temporary name, then renamed), so the stack runs with zero configuration and mail can be read with any client.
/// </summary>
public sealed class PickupDirectoryMailSender(IOptions<NotifierOptions> options, TimeProvider clock) : IMailSender
{
    public string Channel => "pickup-directory";

    public async Task<IReadOnlyDictionary<string, string>> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(options.Value.PickupDirectory);
        Directory.CreateDirectory(directory);
        var name = $"{clock.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid():N}.eml";
        var temporary = Path.Combine(directory, "." + name + ".partial");
        await using (var file = File.Create(temporary))
            await message.WriteToAsync(file, cancellationToken);
        File.Move(temporary, Path.Combine(directory, name));
        return new Dictionary<string, string>();
    }
}
