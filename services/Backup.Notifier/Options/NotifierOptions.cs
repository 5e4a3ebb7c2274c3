using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using MimeKit;

namespace Backup.Notifier.Options;

/// <summary>Who gets the backups and the alerts, what goes in them, and the stale alarm's timing.</summary>
public sealed class NotifierOptions : IConfigurationSection<NotifierOptions>, ISelfValidatingOptions
{
    public static string Section => "Notifier";

    /// <summary>Every backup and alert goes to these addresses, except for sources with their own list.</summary>
    [MinLength(1, ErrorMessage = "At least one administrator address is required.")]
    public string[] Administrators { get; set; } = [];

    [Required] public string From { get; set; } = "backup@localhost";

    /// <summary>Without Smtp:Host, messages are written here as .eml files instead of being sent.</summary>
    public string PickupDirectory { get; set; } = "mail";

    /// <summary>Per source: its own administrators (replacing the global list) and its healthchecks.io-style ping URL.</summary>
    public Dictionary<string, SourceNotifierOptions> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The artifact is attached when its stored size is at most this many bytes (default 20 MiB). Base64 makes the
    /// message about a third larger than the artifact; above the limit the email carries a download link instead.
    /// </summary>
    [Range(0, long.MaxValue)] public long MaxAttachmentBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>
    /// True: an artifact whose manifest does not show OpenPGP encryption is never attached (the email carries the
    /// link instead). Set it wherever the dumper has Encryption configured, so a plaintext artifact (a backup made
    /// before encryption was switched on, or by a misconfigured dumper) never leaves by mail.
    /// </summary>
    public bool RequireEncryptedAttachments { get; set; }

    /// <summary>The HTTP API's base address as administrators reach it (e.g. https://backup.example.com), for download links.</summary>
    public string ApiBaseUrl { get; set; } = "";

    /// <summary>Generic JSON and Slack-compatible webhooks that receive failure, stale and outcome-unknown alerts.</summary>
    public Dictionary<string, WebhookOptions> Webhooks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Timeout of one webhook or ping request (each is retried with backoff on transient faults).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the stale alarm looks at the catalog.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a stale source's alarm is repeated while it stays stale.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan StaleRepeatInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Added to a schedule's interval before its source counts as stale (26 h for a daily schedule).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan StaleGrace { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// A delivery claimed ("sending") for longer than this is taken to belong to a notifier that died mid-send: its
    /// outcome is unknown, so it is recorded so and alerted, never resent.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan SendingTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Delays between the attempts of one delivery of an event (after the in-call SMTP/HTTP retries); once they are
    /// spent, a transient fault sends the event to the back of its queue again after <see cref="ResendDelay"/>.
    /// </summary>
    /// <remarks>Empty means the defaults, 2 s, 10 s and 30 s (a default in a bound array would be appended to, not replaced).</remarks>
    public TimeSpan[] RetryDelays { get; set; } = [];

    /// <summary>
    /// How long a message whose transient fault outlived <see cref="RetryDelays"/> is held before it is sent again to the
    /// back of its queue for its next round (an SMTP or webhook outage is tried again this often, never spun on).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ResendDelay { get; set; } = TimeSpan.FromMinutes(1);

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays =>
        RetryDelays.Length > 0 ? RetryDelays : [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];

    /// <summary>The administrators of <paramref name="source"/>: its own list when it has one, else the global one.</summary>
    public IReadOnlyList<string> AdministratorsOf(string source) =>
        Sources.TryGetValue(source, out var own) && own.Administrators.Length > 0 ? own.Administrators : Administrators;

    public string? PingUrlOf(string source) =>
        Sources.TryGetValue(source, out var own) && own.PingUrl.Length > 0 ? own.PingUrl : null;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        for (var i = 0; i < Administrators.Length; i++)
            if (!IsMailbox(Administrators[i]))
                yield return ($"{nameof(Administrators)}:{i}", "is not a single well-formed email address.");
        if (From.Length > 0 && !IsMailbox(From))
            yield return (nameof(From), "is not a single well-formed email address.");
        if (ApiBaseUrl.Length > 0 && !IsHttpUrl(ApiBaseUrl))
            yield return (nameof(ApiBaseUrl), "is not an absolute http(s) URL, for example https://backup.example.com.");
        foreach (var source in Sources.Keys.Where(name => !SourceNames.IsValid(name)))
            yield return ($"{nameof(Sources)}:{source}", $"is not a valid source name ({SourceNames.Rule}).");
    }

    /// <summary>One address, no display-name tricks, no line breaks that could smuggle a header.</summary>
    public static bool IsMailbox(string value) =>
        !value.AsSpan().ContainsAny('\r', '\n')
        && MailboxAddress.TryParse(ParserOptions.Default, value, out var mailbox)
        && mailbox.Address.Contains('@')
        && string.IsNullOrEmpty(mailbox.Name);

    public static bool IsHttpUrl(string value) =>
        !value.AsSpan().ContainsAny('\r', '\n')
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>Notifier:Sources:&lt;source&gt;.</summary>
public sealed class SourceNotifierOptions : ISelfValidatingOptions
{
    /// <summary>When set, this source's mail goes to these addresses instead of Notifier:Administrators.</summary>
    public string[] Administrators { get; set; } = [];

    /// <summary>
    /// A healthchecks.io-style check URL (a secret-ish value: keep it in a secret file): "&lt;url&gt;/start" on
    /// BackupStarted, "&lt;url&gt;" on BackupCompleted, "&lt;url&gt;/fail" on BackupFailed.
    /// </summary>
    public string PingUrl { get; set; } = "";

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        for (var i = 0; i < Administrators.Length; i++)
            if (!NotifierOptions.IsMailbox(Administrators[i]))
                yield return ($"{nameof(Administrators)}:{i}", "is not a single well-formed email address.");
        if (PingUrl.Length > 0 && !NotifierOptions.IsHttpUrl(PingUrl))
            yield return (nameof(PingUrl), "is not an absolute http(s) URL.");
    }
}

public enum WebhookFormat { Json, Slack }

/// <summary>Notifier:Webhooks:&lt;name&gt;: the name appears in logs; the URL (secret-ish) never does.</summary>
public sealed class WebhookOptions : ISelfValidatingOptions
{
    /// <summary>Where alerts are POSTed. Keep it in a secret file (Notifier__Webhooks__&lt;name&gt;__Url): such URLs carry their own credentials.</summary>
    public string Url { get; set; } = "";

    /// <summary>Json: the alert's fields; Slack: {"text": "..."} (Slack, Mattermost, Teams workflows, Discord /slack).</summary>
    public WebhookFormat Format { get; set; } = WebhookFormat.Json;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (!NotifierOptions.IsHttpUrl(Url))
            yield return (nameof(Url), "is not an absolute http(s) URL.");
    }
}
