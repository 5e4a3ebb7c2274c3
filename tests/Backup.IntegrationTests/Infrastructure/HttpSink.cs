using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>A real HTTP listener on a free loopback port: records every request (method, path, body) and answers 200.</summary>
public sealed class HttpSink : IAsyncDisposable
{
    readonly HttpListener listener = new();
    readonly Task serving;

    public HttpSink()
    {
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        serving = ServeAsync();
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public sealed record Request(string Method, string Path, string ContentType, string Body);

    public ConcurrentQueue<Request> Requests { get; } = new();

    public Task<Request> WaitForAsync(Func<Request, bool> match, string what, TimeSpan? deadline = null) =>
        Eventually.Get(() => Task.FromResult(Requests.FirstOrDefault(match)), what, deadline);

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                Requests.Enqueue(new Request(context.Request.HttpMethod, context.Request.Url!.AbsolutePath,
                    context.Request.ContentType ?? "", await reader.ReadToEndAsync()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving;
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
