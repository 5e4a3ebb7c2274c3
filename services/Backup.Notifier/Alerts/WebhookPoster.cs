using System.Net.Http.Json;
using System.Text.Json;
using Backup.Notifier.Options;
using Backup.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Alerts;

/// <summary>
/// POSTs an alert to every Notifier:Webhooks entry: the <see cref="Alert"/> as JSON (Format Json) or
/// {"text": "..."} (Format Slack). Each webhook is tried (with the in-call retries of <see cref="AlertHttp"/>);
/// if any still fails, <see cref="AlertHttpException"/> names the failed ones by name and host.
/// </summary>
public sealed class WebhookPoster(AlertHttp http, IOptions<NotifierOptions> options, NotifierMetrics metrics, ILogger<WebhookPoster> logger)
{
    public bool AnyConfigured => options.Value.Webhooks.Count > 0;

    public async Task PostAsync(Alert alert, CancellationToken cancellationToken)
    {
        var failures = new List<AlertHttpException>();
        foreach (var name in options.Value.Webhooks.Keys)
        {
            try
            {
                await PostToAsync(name, alert, cancellationToken);
            }
            catch (AlertHttpException e)
            {
                failures.Add(e);
            }
        }
        if (failures.Count > 0)
            throw new AlertHttpException(string.Join(" ", failures.Select(f => f.Message)), failures.Any(f => f.Transient), null);
    }

    /// <summary>Posts to the one webhook named <paramref name="name"/> (a key of Notifier:Webhooks); a failure is logged, counted and thrown.</summary>
    public async Task PostToAsync(string name, Alert alert, CancellationToken cancellationToken)
    {
        var webhook = options.Value.Webhooks[name];
        // The webhook's name only: its URL may hold a token (Slack's do), so it goes into no span.
        using var span = NotifierTelemetry.Source.StartActivity("post webhook");
        span?.SetTag("backup.run_id", alert.RunId);
        span?.SetTag("backup.source", alert.Source);
        span?.SetTag("backup.webhook", name);
        span?.SetTag("backup.notification_kind", alert.Kind);
        try
        {
            await http.PostAsync(webhook.Url, () => Body(webhook.Format, alert), $"webhook '{name}'", cancellationToken);
            Log.WebhookPosted(logger, name, alert.Kind, alert.Source);
            metrics.Notified(NotifierMetrics.Webhook, NotifierMetrics.Sent);
            span?.SetTag("backup.outcome", NotifierMetrics.Sent);
        }
        catch (AlertHttpException e)
        {
            span?.SetTag("backup.outcome", NotifierMetrics.Failed);
            span.RecordFailure(nameof(AlertHttpException), e.Message); // its message has the URL redacted; its inner one may not
            Log.WebhookFailed(logger, name, e.Message);
            metrics.Notified(NotifierMetrics.Webhook, NotifierMetrics.Failed);
            throw;
        }
    }

    /// <summary>Posts and logs a failure instead of throwing: for alerts whose main route is email.</summary>
    public async Task TryPostAsync(Alert alert, CancellationToken cancellationToken)
    {
        try { await PostAsync(alert, cancellationToken); }
        catch (AlertHttpException) { } // each failure is logged above
    }

    static HttpContent Body(WebhookFormat format, Alert alert) => format == WebhookFormat.Slack
        ? JsonContent.Create(new { text = $"*{alert.Title}*\n{alert.Text}" }, options: JsonSerializerOptions.Web)
        : JsonContent.Create(alert, options: JsonSerializerOptions.Web);
}
