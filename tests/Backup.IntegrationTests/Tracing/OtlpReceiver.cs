using System.Collections.Concurrent;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Backup.IntegrationTests.Tracing;

/// <summary>
/// An OTLP/HTTP receiver in the test process (Kestrel on 127.0.0.1, a free port): POST /v1/traces, /v1/logs and
/// /v1/metrics in protobuf, as the services' OTLP exporter sends them. Keeps every span and log record it is sent
/// (metrics are accepted and dropped); <see cref="Settings"/> points a service at it.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    readonly WebApplication app;

    OtlpReceiver(WebApplication app) => this.app = app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();
    public ConcurrentQueue<ReceivedLog> Logs { get; } = new();

    public string Endpoint => app.Urls.First();

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            foreach (var span in OtlpReader.Spans(await BodyAsync(request))) receiver.Spans.Enqueue(span);
            return Accepted();
        });
        app.MapPost("/v1/logs", async (HttpRequest request) =>
        {
            foreach (var log in OtlpReader.Logs(await BodyAsync(request))) receiver.Logs.Enqueue(log);
            return Accepted();
        });
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            await BodyAsync(request);
            return Accepted();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>
    /// The settings that make a service export traces, metrics and logs here over OTLP/HTTP protobuf, in batches a
    /// fifth of a second apart (OpenTelemetry's standard variables, as a deployment sets them).
    /// </summary>
    public void Settings(IDictionary<string, string?> settings)
    {
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint;
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        settings["Logging:LogLevel:Default"] = "Information";
    }

    /// <summary>The spans of one trace received so far.</summary>
    public List<ReceivedSpan> Trace(string traceId) => [.. Spans.Where(s => s.TraceId == traceId)];

    /// <summary>Waits until the trace holds a span <paramref name="matches"/> describes, and returns it.</summary>
    public Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> matches, string what, TimeSpan? deadline = null) =>
        Eventually.Get(() => Task.FromResult(Spans.FirstOrDefault(matches)), what, deadline ?? TimeSpan.FromSeconds(60));

    static async Task<byte[]> BodyAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        return body.ToArray();
    }

    // An empty Export*ServiceResponse: everything accepted.
    static IResult Accepted() => Results.Bytes([], "application/x-protobuf");

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
