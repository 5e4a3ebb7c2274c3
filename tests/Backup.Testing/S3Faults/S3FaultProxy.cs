using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backup.Testing.S3Faults;

/// <summary>What an S3 request does, told from its method and query as a path-style client sends it.</summary>
public enum S3Call { InitiateUpload, UploadPart, CompleteUpload, AbortUpload, PutObject, GetObject, HeadObject, DeleteObject, Other }

public enum S3Fault
{
    /// <summary>503 SlowDown with S3's XML error body, the request not forwarded (S3's answer to too high a request rate).</summary>
    SlowDown,

    /// <summary>429 TooManyRequests with an XML error body, the request not forwarded (how some S3-compatible servers throttle).</summary>
    TooManyRequests,

    /// <summary>Half the request body forwarded, then both connections reset (RST): the upload broken mid-body.</summary>
    ResetMidBody,

    /// <summary>One byte in the middle of the request body inverted on its way to the server.</summary>
    FlipByte,
}

/// <summary>
/// One request as it went through the proxy: the fault done to it (if any), the status it got (none when reset) and
/// the Content-MD5 the client sent with it.
/// </summary>
public sealed record S3Exchange(S3Call Call, string Method, string Target, S3Fault? Fault, int? Status, string? ContentMd5);

/// <summary>
/// A fault-injecting HTTP/1.1 proxy on a loopback port, between an S3 client and a real S3-compatible server: every
/// client connection gets a connection of its own to the server, requests are relayed one after another as they come
/// (keep-alive, Expect: 100-continue, Content-Length and chunked bodies), and faults queued with <see cref="Inject"/>
/// are done to the next requests of the given <see cref="S3Call"/>, each once. <see cref="Exchanges"/> says what went
/// through. Point the client's service URL at <see cref="Url"/>. AWSSDK.S3 4.1 with the store's settings sends its
/// part uploads and puts path-style, Content-Length framed, with Expect: 100-continue, Content-MD5 and a signed
/// X-Amz-Content-SHA256 (which s3rver, unlike AWS S3 and MinIO, checks neither).
/// </summary>
public sealed class S3FaultProxy : IAsyncDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly Uri server;
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<S3Call, ConcurrentQueue<S3Fault>> faults = new();
    readonly ConcurrentQueue<S3Exchange> exchanges = new();
    readonly ConcurrentDictionary<Task, bool> connections = new();
    readonly Task accepting;

    public S3FaultProxy(string serverUrl)
    {
        server = new Uri(serverUrl);
        listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        accepting = AcceptAsync();
    }

    public string Url { get; }

    public IReadOnlyList<S3Exchange> Exchanges => [.. exchanges];

    /// <summary>Does <paramref name="fault"/> to the next <paramref name="times"/> requests of <paramref name="call"/>.</summary>
    public void Inject(S3Call call, S3Fault fault, int times = 1)
    {
        var queue = faults.GetOrAdd(call, _ => new ConcurrentQueue<S3Fault>());
        for (var i = 0; i < times; i++) queue.Enqueue(fault);
    }

    public static S3Call Classify(string method, string target)
    {
        var query = target.Contains('?') ? target[(target.IndexOf('?') + 1)..] : "";
        var keys = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]).ToHashSet();
        return method switch
        {
            "POST" when keys.Contains("uploads") => S3Call.InitiateUpload,
            "POST" when keys.Contains("uploadId") => S3Call.CompleteUpload,
            "PUT" when keys.Contains("uploadId") => S3Call.UploadPart,
            "PUT" when keys.Count == 0 => S3Call.PutObject,
            "DELETE" when keys.Contains("uploadId") => S3Call.AbortUpload,
            "DELETE" when keys.Count == 0 => S3Call.DeleteObject,
            "GET" when keys.Count == 0 => S3Call.GetObject,
            "HEAD" => S3Call.HeadObject,
            _ => S3Call.Other,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        await Task.WhenAll(connections.Keys);
        stopping.Dispose();
    }

    async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var connection = RelayConnectionAsync(client);
            connections.TryAdd(connection, true);
            _ = connection.ContinueWith(done => connections.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    async Task RelayConnectionAsync(Socket client)
    {
        await Task.Yield();
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using (client)
            {
                await upstream.ConnectAsync(server.Host, server.Port, stopping.Token);
                await using var toClient = new NetworkStream(client, ownsSocket: false);
                await using var toServer = new NetworkStream(upstream, ownsSocket: false);
                var fromClient = new HttpWireReader(toClient);
                var fromServer = new HttpWireReader(toServer);
                while (await fromClient.ReadHeadAsync(stopping.Token) is { } request)
                {
                    if (!await RelayExchangeAsync(request, fromClient, toClient, fromServer, toServer, client, upstream))
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A peer went away mid-message: its connection ends, as a real proxy's would.
        }
    }

    /// <summary>One request and its response; false when the connection ends after it.</summary>
    async Task<bool> RelayExchangeAsync(HttpHead request, HttpWireReader fromClient, Stream toClient, HttpWireReader fromServer,
        Stream toServer, Socket client, Socket upstream)
    {
        var token = stopping.Token;
        var parts = request.StartLine.Split(' ');
        var (method, target) = (parts[0], parts[1]);
        var call = Classify(method, target);
        S3Fault? fault = faults.TryGetValue(call, out var queue) && queue.TryDequeue(out var next) ? next : null;
        var expectsContinue = request.HasToken("Expect", "100-continue");
        var md5 = request.Header("Content-MD5");

        if (fault is S3Fault.SlowDown or S3Fault.TooManyRequests)
        {
            // With Expect: 100-continue the body may never come: answer at once and close, as S3 does.
            if (!expectsContinue) await RelayBodyAsync(fromClient, request, Stream.Null, tamper: null, token);
            var (status, reason, code) = fault is S3Fault.SlowDown
                ? (503, "Slow Down", "SlowDown")
                : (429, "Too Many Requests", "TooManyRequests");
            await toClient.WriteAsync(ErrorResponse(status, reason, code, close: expectsContinue), token);
            exchanges.Enqueue(new S3Exchange(call, method, target, fault, status, md5));
            return !expectsContinue;
        }

        await toServer.WriteAsync(request.ToBytes(), token);
        var response = expectsContinue ? await fromServer.ReadHeadAsync(token) ?? throw new IOException("The server closed.") : null;
        if (response is { Status: 100 })
        {
            await toClient.WriteAsync(response.ToBytes(), token);
            response = null;
        }
        if (response is null)
        {
            var half = request.ContentLength is { } length ? length / 2 : 1;
            Func<long, Memory<byte>, int>? tamper = fault switch
            {
                S3Fault.FlipByte => (offset, piece) => Flip(offset, piece, half),
                S3Fault.ResetMidBody => (offset, piece) => (int)Math.Clamp(half - offset, 0, piece.Length),
                _ => null,
            };
            if (!await RelayBodyAsync(fromClient, request, toServer, tamper, token))
            {
                exchanges.Enqueue(new S3Exchange(call, method, target, fault, null, md5));
                Reset(client);
                Reset(upstream);
                return false;
            }
            response = await ReadFinalHeadAsync(fromServer, toClient, token);
        }

        await toClient.WriteAsync(response.ToBytes(), token);
        exchanges.Enqueue(new S3Exchange(call, method, target, fault, response.Status, md5));
        var bodyless = method == "HEAD" || response.Status is 204 or 304;
        if (!bodyless && response.ContentLength is null && !response.Chunked)
        {
            await fromServer.CopyToEndAsync(toClient, token);
            return false;
        }
        if (!bodyless) await RelayBodyAsync(fromServer, response, toClient, tamper: null, token);
        return !request.Closes && !response.Closes && !(expectsContinue && response.Status >= 300 && request.ContentLength > 0);
    }

    static async Task<HttpHead> ReadFinalHeadAsync(HttpWireReader fromServer, Stream toClient, CancellationToken token)
    {
        while (true)
        {
            var head = await fromServer.ReadHeadAsync(token) ?? throw new IOException("The server closed the connection.");
            if (head.Status >= 200) return head;
            await toClient.WriteAsync(head.ToBytes(), token); // an interim 1xx, relayed as is
        }
    }

    /// <summary>Relays a message's body in its own framing; false when <paramref name="tamper"/> cut it short.</summary>
    static async Task<bool> RelayBodyAsync(HttpWireReader from, HttpHead head, Stream to, Func<long, Memory<byte>, int>? tamper,
        CancellationToken token)
    {
        if (!head.Chunked)
            return await from.CopyAsync(head.ContentLength ?? 0, to, tamper, bodyOffset: 0, token);
        var offset = 0L;
        while (true)
        {
            var sizeLine = await from.ReadLineAsync(token) ?? throw new IOException("The peer closed mid-body.");
            await to.WriteAsync(Encoding.Latin1.GetBytes(sizeLine + "\r\n"), token);
            var size = Convert.ToInt64(sizeLine.Split(';')[0].Trim(), 16);
            if (size == 0) break;
            if (!await from.CopyAsync(size, to, tamper, offset, token)) return false;
            offset += size;
            var end = await from.ReadLineAsync(token);
            await to.WriteAsync("\r\n"u8.ToArray(), token);
            if (end != "") throw new IOException("A chunk did not end with CRLF.");
        }
        while (await from.ReadLineAsync(token) is { Length: > 0 } trailer)
            await to.WriteAsync(Encoding.Latin1.GetBytes(trailer + "\r\n"), token);
        await to.WriteAsync("\r\n"u8.ToArray(), token);
        return true;
    }

    static int Flip(long offset, Memory<byte> piece, long at)
    {
        if (at >= offset && at < offset + piece.Length) piece.Span[(int)(at - offset)] ^= 0xFF;
        return piece.Length;
    }

    /// <summary>Closes with RST rather than FIN: the peer sees "connection reset".</summary>
    static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    static byte[] ErrorResponse(int status, string reason, string code, bool close)
    {
        var body = Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>Injected by the test's fault proxy.</Message><RequestId>fault-proxy</RequestId></Error>");
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n";
        return [.. Encoding.Latin1.GetBytes(head), .. body];
    }
}
