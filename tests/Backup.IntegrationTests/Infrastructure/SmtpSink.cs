using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// A real SMTP server (the SmtpServer package) on a free loopback port in the test process. It can be stopped and
/// started again on the same port (a mail server that is down for a while), and told to drop the connection after
/// it has received a message's data, before its reply (the outcome the client can't know), to refuse a recipient for
/// good (a 5xx reply to RCPT TO), or to hold its reply to a message's data until the test lets it go.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    CancellationTokenSource stop = new();
    Task running = Task.CompletedTask;
    Func<MimeMessage, bool>? dropAfterData;
    Func<MimeMessage, bool>? holdDataReply;
    readonly TaskCompletionSource releaseHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ConcurrentDictionary<string, string> refusals = new(StringComparer.OrdinalIgnoreCase);

    public SmtpSink()
    {
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    /// <summary>Every message whose data the server received, including those whose connection it then dropped.</summary>
    public ConcurrentQueue<MimeMessage> Messages { get; } = new();

    /// <summary>Messages received and then answered by a dropped connection instead of "250 OK".</summary>
    public ConcurrentQueue<MimeMessage> Dropped { get; } = new();

    /// <summary>Every address the server was asked to take a message for (RCPT TO), accepted or refused, in order.</summary>
    public ConcurrentQueue<string> RecipientAttempts { get; } = new();

    /// <summary>The envelope recipients of every message the server stored and answered "250 OK".</summary>
    public ConcurrentQueue<string> DeliveredTo { get; } = new();

    public Task<MimeMessage> WaitForAsync(Func<MimeMessage, bool> match, string what, TimeSpan? deadline = null) =>
        Eventually.Get(() => Task.FromResult(Messages.FirstOrDefault(match)), what, deadline);

    /// <summary>The next message matching <paramref name="match"/> is received whole, then the connection is dropped without a reply.</summary>
    public void DropConnectionAfterDataOnce(Func<MimeMessage, bool> match) => dropAfterData = match;

    /// <summary>Messages whose data was received and whose reply is held until <see cref="ReleaseHeld"/>.</summary>
    public ConcurrentQueue<MimeMessage> Held { get; } = new();

    /// <summary>
    /// The next message matching <paramref name="match"/> is received whole, then the server says nothing (the client
    /// waits for the reply to its DATA) until <see cref="ReleaseHeld"/>; then it is stored and answered "250 OK".
    /// </summary>
    public void HoldDataReplyOnce(Func<MimeMessage, bool> match) => holdDataReply = match;

    public void ReleaseHeld() => releaseHeld.TrySetResult();

    /// <summary>From now on, RCPT TO <paramref name="address"/> is answered "550 <paramref name="reply"/>": refused for good.</summary>
    public void RefuseRecipient(string address, string reply) => refusals[address] = reply;

    /// <summary>Stops listening (connections are refused) until <see cref="Start"/>.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync();
        try { await running; } catch (OperationCanceledException) { }
    }

    public void Start()
    {
        stop = new CancellationTokenSource();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        services.Add(new Recipients(this));
        running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    sealed class Store(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            sink.Messages.Enqueue(message);
            if (sink.dropAfterData is { } drop && drop(message))
            {
                sink.dropAfterData = null;
                sink.Dropped.Enqueue(message);
                // Close the connection under the session: the data is here, the reply never leaves.
                await context.Pipe.Input.CompleteAsync();
                await context.Pipe.Output.CompleteAsync();
                ((IDisposable)context.Pipe).Dispose();
                throw new OperationCanceledException("connection dropped after DATA by the test");
            }
            if (sink.holdDataReply is { } hold && hold(message))
            {
                sink.holdDataReply = null;
                sink.Held.Enqueue(message);
                await sink.releaseHeld.Task.WaitAsync(cancellationToken);
            }
            foreach (var to in transaction.To)
                sink.DeliveredTo.Enqueue(Address(to));
            return SmtpResponse.Ok;
        }
    }

    static string Address(IMailbox mailbox) => $"{mailbox.User}@{mailbox.Host}";

    sealed class Recipients(SmtpSink sink) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            var address = Address(to);
            sink.RecipientAttempts.Enqueue(address);
            if (sink.refusals.TryGetValue(address, out var reply))
                throw new SmtpResponseException(new SmtpResponse(SmtpReplyCode.MailboxUnavailable, reply));
            return Task.FromResult(true);
        }
    }
}
