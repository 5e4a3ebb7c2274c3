using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;
using MimeKit;

namespace Backup.Notifier.Options;

/// <summary>Who gets the backups and the alerts.</summary>
public sealed class NotifierOptions : IConfigurationSection<NotifierOptions>, ISelfValidatingOptions
{
    public static string Section => "Notifier";

    /// <summary>Every backup and every failure alert goes to these addresses.</summary>
    [MinLength(1, ErrorMessage = "At least one administrator address is required.")]
    public string[] Administrators { get; set; } = [];

    [Required] public string From { get; set; } = "backup@localhost";

    /// <summary>Without Smtp:Host, messages are written here as .eml files instead of being sent.</summary>
    public string PickupDirectory { get; set; } = "mail";

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        for (var i = 0; i < Administrators.Length; i++)
            if (!IsMailbox(Administrators[i]))
                yield return ($"{nameof(Administrators)}:{i}", "is not a single well-formed email address.");
        if (From.Length > 0 && !IsMailbox(From))
            yield return (nameof(From), "is not a single well-formed email address.");
    }

    /// <summary>One address, no display-name tricks, no line breaks that could smuggle a header.</summary>
    public static bool IsMailbox(string value) =>
        !value.AsSpan().ContainsAny('\r', '\n')
        && MailboxAddress.TryParse(ParserOptions.Default, value, out var mailbox)
        && mailbox.Address.Contains('@');
}
