using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Notifier.Options;

public enum SmtpSecurity { None, StartTls, SslOnConnect }

/// <summary>
/// The mail server. Leave Host empty to write .eml files to Notifier:PickupDirectory instead. A username with
/// Security None would send the password in clear: refused at start unless AllowPlaintextAuth says so.
/// </summary>
public sealed class SmtpOptions : IConfigurationSection<SmtpOptions>, ISelfValidatingOptions
{
    public static string Section => "Smtp";

    public string Host { get; set; } = "";
    [Range(1, 65535)] public int Port { get; set; } = 587;
    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>Empty: no authentication.</summary>
    public string Username { get; set; } = "";

    /// <summary>A secret: from a secret file or the environment.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// Lets a Username authenticate over a connection without TLS (Security None), where the password crosses the
    /// network readable. Only for a mail relay on a network nobody else reaches; false by default.
    /// </summary>
    public bool AllowPlaintextAuth { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// In-call retries of the connect to the mail server (pipeline smtp-connect); when they are spent the event goes
    /// back to the broker at once (no endpoint retry on top), so they also space its redeliveries during an outage.
    /// </summary>
    [Range(1, 10)] public int Retries { get; set; } = 3;

    /// <summary>The first in-call retry's delay; each next one doubles it (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (Host.Length > 0 && Username.Length > 0 && Security == SmtpSecurity.None && !AllowPlaintextAuth)
            yield return (nameof(Security),
                $"is None while {Section}:{nameof(Username)} is set, so the password would cross the network in clear; use StartTls or " +
                $"SslOnConnect, or set {Section}:{nameof(AllowPlaintextAuth)} to true for a relay on a network nobody else reaches");
    }
}
