using System.Text;
using Backup.Notifier.Options;
using Microsoft.Extensions.Options;

namespace Backup.Notifier.Alerts;

/// <summary>
/// healthchecks.io-style pings per source (Notifier:Sources:&lt;source&gt;:PingUrl): POST "&lt;url&gt;/start" when a
/// backup starts, "&lt;url&gt;" when it completes, "&lt;url&gt;/fail" (with the reason as the body) when it fails.
/// </summary>
public sealed class HealthchecksPinger(AlertHttp http, IOptions<NotifierOptions> options, NotifierMetrics metrics, ILogger<HealthchecksPinger> logger)
{
    public const string Start = "/start";
    public const string Success = "";
    public const string Fail = "/fail";

    public async Task PingAsync(string source, string signal, string body, CancellationToken cancellationToken)
    {
        if (options.Value.PingUrlOf(source) is not { } url) return;
        try
        {
            await http.PostAsync(url.TrimEnd('/') + signal, () => new StringContent(body, Encoding.UTF8, "text/plain"),
                $"the ping URL of source '{source}'", cancellationToken);
        }
        catch (AlertHttpException)
        {
            metrics.Notified(NotifierMetrics.Ping, NotifierMetrics.Failed);
            throw;
        }
        metrics.Notified(NotifierMetrics.Ping, NotifierMetrics.Sent);
        Log.Pinged(logger, source, signal.Length == 0 ? "success" : signal.TrimStart('/'));
    }
}
