using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP port in front of the shared broker that one test can cut (every connection through it dropped, new ones
/// refused) and open again, so a service sees its broker go away and come back while the broker itself, and every
/// other test on it, carries on.
/// </summary>
public sealed class BrokerLink : IAsyncDisposable
{
    readonly BrokerEndpoint broker;
    readonly ConcurrentDictionary<TcpClient, byte> connections = new();
    TcpListener? listener;
    CancellationTokenSource? accepting;

    public BrokerLink(BrokerEndpoint broker)
    {
        this.broker = broker;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Open();
    }

    /// <summary>Where services connect instead of <see cref="BrokerEndpoint.Port"/> (host 127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>
    /// How long each chunk of the broker's bytes to the service is held before it is passed on (in order): with it
    /// set, the broker still gets everything at once, but its answers (a publish's confirm) arrive that much later.
    /// </summary>
    public TimeSpan ReplyDelay { get; set; }

    /// <summary>Accepts connections again and passes them on to the broker.</summary>
    public void Open()
    {
        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        accepting = new CancellationTokenSource();
        _ = AcceptAsync(listener, accepting.Token);
    }

    /// <summary>Drops every connection through the link and refuses new ones until <see cref="Open"/>.</summary>
    public void Cut()
    {
        accepting?.Cancel();
        listener?.Stop();
        foreach (var connection in connections.Keys)
        {
            connection.Dispose();
            connections.TryRemove(connection, out _);
        }
    }

    async Task AcceptAsync(TcpListener server, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await server.AcceptTcpClientAsync(cancellationToken); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            var upstream = new TcpClient();
            try { await upstream.ConnectAsync(broker.Host, broker.Port, cancellationToken); }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }
            connections[client] = 0;
            connections[upstream] = 0;
            _ = PumpAsync(client, upstream);
        }
    }

    async Task PumpAsync(TcpClient client, TcpClient upstream)
    {
        try
        {
            await Task.WhenAny(client.GetStream().CopyToAsync(upstream.GetStream()), RelayRepliesAsync(upstream.GetStream(), client.GetStream()));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
            connections.TryRemove(client, out _);
            connections.TryRemove(upstream, out _);
        }
    }

    async Task RelayRepliesAsync(Stream broker, Stream service)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await broker.ReadAsync(buffer)) > 0)
        {
            if (ReplyDelay > TimeSpan.Zero) await Task.Delay(ReplyDelay);
            await service.WriteAsync(buffer.AsMemory(0, read));
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        accepting?.Dispose();
        return ValueTask.CompletedTask;
    }
}
