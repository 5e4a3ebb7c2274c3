using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The mail server refuses one of the two administrators for good (550 to RCPT TO) and takes the other. The refusal
/// is final: that recipient is asked for once (no in-call retry, no endpoint retry, nothing stored for it), its
/// delivery row is failed with the server's reply, BackupDeliveryFailed says so, and the event goes to
/// send-backup-email_error; the other administrator gets the backup email, once.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_mail_server_refuses_a_recipient(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string Reply = "5.1.1 <dba@example.com>: no such mailbox here (test)";
    static readonly string Refused = BackupSystem.Administrators[1];
    static readonly string Taken = BackupSystem.Administrators[0];
    BackupSystem system = null!;
    RawRabbit rabbit = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartNotifier(settings =>
        {
            settings["Smtp:Retries"] = "2";
            settings["Smtp:RetryDelay"] = "00:00:00.050";
            settings["Notifier:RetryDelays:0"] = "00:00:00.100";
            settings["Notifier:RetryDelays:1"] = "00:00:00.100";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Only_that_recipient_fails_once_and_for_good()
    {
        var failed = await rabbit.ListenAsync("Backup.Contracts:BackupDeliveryFailed");
        var delivered = await rabbit.ListenAsync("Backup.Contracts:BackupDelivered");
        system.Mail.RefuseRecipient(Refused, Reply);
        var backup = await StoredBackups.StoreAsync(system, 4096);
        await rabbit.PublishEventAsync(backup);

        // In the error queue: the notifier is done with the event and will not try it again.
        await Eventually.True(async () =>
        {
            try { return await system.Broker.QueueDepthAsync(system.VirtualHost, "send-backup-email_error") == 1; }
            catch (HttpRequestException) { return false; }
        }, "the event to reach send-backup-email_error");
        await Eventually.True(() => Task.FromResult(!failed.IsEmpty), "BackupDeliveryFailed on the test's own queue");

        Assert.Single(system.Mail.RecipientAttempts, a => a == Refused);
        Assert.DoesNotContain(Refused, system.Mail.DeliveredTo);
        Assert.Equal([Taken], system.Mail.DeliveredTo);
        var mail = Assert.Single(system.Mail.Messages);
        Assert.Equal([backup.Sha256], await StoredBackups.AttachmentHashesAsync(mail));

        var rows = (await StoredBackups.DeliveriesAsync(system, backup.RunId)).ToDictionary(d => d.Recipient);
        Assert.Equal(NotificationStates.Failed, rows[Refused].State);
        Assert.Contains($"550 {Reply}", rows[Refused].LastError);
        Assert.Equal(1, rows[Refused].Attempts);
        Assert.Equal(NotificationStates.Sent, rows[Taken].State);
        Assert.Equal(1, rows[Taken].Attempts);

        var failure = Assert.Single(failed);
        Assert.Equal(backup.RunId, failure.GetProperty("runId").GetGuid());
        Assert.Contains(Reply, failure.GetProperty("reason").GetString());
        Assert.Empty(delivered); // not every administrator has it
    }
}
