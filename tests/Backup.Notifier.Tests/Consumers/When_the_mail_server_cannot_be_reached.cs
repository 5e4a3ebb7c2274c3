using System.Net.Sockets;
using Backup.Contracts;
using Backup.Database.Notifications;
using Backup.Notifier.Consumers;
using Backup.Notifier.Mail;
using MimeKit;

namespace Backup.Notifier.Tests.Consumers;

/// <summary>
/// The mail server refuses connections, and the in-call retries of the connect (smtp-connect) are spent: the
/// endpoint doesn't retry the event on top of them (one policy per fault), the backup email says BackupDeliveryFailed
/// at once, and the event leaves the endpoint with a transient fault, which hands it back to the broker (the
/// redelivery itself is in Backup.IntegrationTests/Notifying/When_the_mail_server_is_down_for_a_while).
/// </summary>
public sealed class When_the_mail_server_cannot_be_reached : IAsyncLifetime
{
    readonly UnreachableMailServer server = new();
    NotifierConsumersUnderTest notifier = null!;
    BackupCompleted completed = null!;
    Exception? fault;

    public async Task InitializeAsync()
    {
        notifier = await NotifierConsumersUnderTest.StartAsync(server);
        (completed, _) = await notifier.StoreBackupAsync();
        fault = (await notifier.ConsumeAsync<SendBackupEmailConsumer, BackupCompleted>(completed, c => c.RunId))[0];
        await notifier.Harness.InactivityTask; // the event has left the endpoint: any retry of it would have run by now
    }

    public async Task DisposeAsync() => await notifier.DisposeAsync();

    [Fact]
    public async Task It_is_not_retried_by_the_endpoint()
    {
        Assert.IsType<MailServerUnreachableException>(fault);
        Assert.Equal(1, server.Calls);
        Assert.All(await notifier.Catalog.DeliveriesAsync(completed.RunId),
            row => Assert.Equal((NotificationStates.Failed, 1), (row.State, row.Attempts)));
        Assert.True(NotifierRetry.IsTransient(fault!)); // so the error pipe hands it back to RabbitMQ
    }

    [Fact]
    public void It_publishes_BackupDeliveryFailed_saying_the_event_went_back_to_the_broker()
    {
        var failed = Assert.Single(notifier.Published<BackupDeliveryFailed>());
        Assert.Equal((completed.RunId, "demo"), (failed.RunId, failed.Source));
        Assert.Contains("mail.example.com:25 could not be reached", failed.Reason);
        Assert.Contains("went back to the broker", failed.Reason);
        Assert.Empty(notifier.Published<BackupDelivered>());
    }

    sealed class UnreachableMailServer : IMailSender
    {
        int calls;

        public int Calls => calls;

        public string Channel => "smtp";

        public Task<IReadOnlyDictionary<string, string>> SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            throw new MailServerUnreachableException("The mail server mail.example.com:25 could not be reached after 4 attempt(s) (SocketException: Connection refused).",
                new SocketException((int)SocketError.ConnectionRefused));
        }
    }
}
