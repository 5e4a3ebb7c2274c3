using Backup.Contracts;
using Backup.Database.Notifications;
using Backup.Notifier.Consumers;

namespace Backup.Notifier.Tests.Consumers;

public sealed class When_a_backup_fails : IAsyncLifetime
{
    NotifierConsumersUnderTest notifier = null!;
    readonly BackupFailed failure = new()
    {
        RunId = Guid.NewGuid(),
        Source = "demo",
        FailedAt = NotifierConsumersUnderTest.Now,
        ErrorCode = "ConnectionFailed",
        Reason = "could not connect to server: Connection refused (test)",
    };

    public async Task InitializeAsync()
    {
        notifier = await NotifierConsumersUnderTest.StartAsync();
        Assert.All(await notifier.ConsumeAsync<SendFailureAlertConsumer, BackupFailed>(failure, f => f.RunId), Assert.Null);
    }

    public async Task DisposeAsync() => await notifier.DisposeAsync();

    [Fact]
    public void It_emails_an_urgent_alert_to_the_source_administrators()
    {
        var mail = Assert.Single(notifier.Emails());
        Assert.Equal("[Backup] ALERT demo: backup failed (ConnectionFailed)", mail.Subject);
        Assert.Equal(NotifierConsumersUnderTest.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Equal("backup@example.com", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Contains(failure.RunId.ToString(), mail.TextBody);
        Assert.Contains(failure.Reason, mail.TextBody);
    }

    [Fact]
    public async Task It_records_the_alert_sent_to_each_administrator()
    {
        var rows = await notifier.Catalog.DeliveriesAsync(failure.RunId);
        Assert.Equal(NotifierConsumersUnderTest.Administrators.Order().Select(a => (a, NotificationKinds.FailureAlert, NotificationStates.Sent, 1)),
            rows);
    }

    [Fact]
    public async Task It_sends_it_once_when_the_event_comes_again()
    {
        Assert.All(await notifier.ConsumeAsync<SendFailureAlertConsumer, BackupFailed>(failure, f => f.RunId, times: 2), Assert.Null);

        Assert.Single(notifier.Emails());
        Assert.All(await notifier.Catalog.DeliveriesAsync(failure.RunId), row => Assert.Equal((NotificationStates.Sent, 1), (row.State, row.Attempts)));
    }
}
