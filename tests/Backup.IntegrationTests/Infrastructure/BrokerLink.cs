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
            await Task.WhenAny(client.GetStream().CopyToAsync(upstream.GetStream()), upstream.GetStream().CopyToAsync(client.GetStream()));
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

    public ValueTask DisposeAsync()
    {
        Cut();
        accepting?.Dispose();
        return ValueTask.CompletedTask;
    }
}
