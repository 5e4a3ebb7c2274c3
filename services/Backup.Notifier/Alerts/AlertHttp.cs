using System.Net;
using Polly;
using Polly.Registry;
using Polly.Retry;

namespace Backup.Notifier.Alerts;

/// <summary>
/// The HTTP side of the notifier (webhooks and pings): one named HttpClient with Notifier:HttpTimeout per request and
/// no request logging (the URLs carry credentials), and the <see cref="PipelineName"/> pipeline retrying transient
/// faults (connection errors, timeouts, 5xx and 429 answers) with backoff inside the call. That is the only retry of
/// an HTTP fault: the endpoint doesn't retry an <see cref="AlertHttpException"/> again (NotifierRetry); a transient
/// one sends the event back to the broker at once.
/// </summary>
public sealed class AlertHttp(IHttpClientFactory clients, ResiliencePipelineProvider<string> pipelines)
{
    public const string ClientName = "notifier-http";
    public const string PipelineName = "notifier-http";

    readonly ResiliencePipeline<HttpResponseMessage> pipeline = pipelines.GetPipeline<HttpResponseMessage>(PipelineName);

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TimeSpan firstDelay) =>
        pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = PipelineName,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TaskCanceledException>() // HttpClient's own timeout; the caller's cancellation stops the pipeline first
                .HandleResult(response => (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            Delay = firstDelay,
            UseJitter = true,
        });

    /// <summary>POSTs <paramref name="content"/> (made afresh per attempt); throws <see cref="AlertHttpException"/> naming only <paramref name="what"/> and the host.</summary>
    public async Task PostAsync(string url, Func<HttpContent> content, string what, CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(ClientName);
        HttpResponseMessage response;
        try
        {
            response = await pipeline.ExecuteAsync(async token =>
                await http.PostAsync(url, content(), token), cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new AlertHttpException($"{what} at {Redacted(url)} did not answer ({e.GetType().Name}).", transient: true, e);
        }
        using (response)
            if (!response.IsSuccessStatusCode)
                throw new AlertHttpException($"{what} at {Redacted(url)} answered {(int)response.StatusCode}.",
                    transient: (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests, null);
    }

    /// <summary>Scheme and host only: a webhook's path and query are its credentials.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(not a URL)";
}

/// <summary>A webhook or ping that failed after its retries; <see cref="Transient"/>: no answer, 5xx or 429 (worth trying later).</summary>
public sealed class AlertHttpException(string message, bool transient, Exception? inner) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}
