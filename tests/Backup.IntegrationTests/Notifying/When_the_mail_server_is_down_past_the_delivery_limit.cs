using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;
using Backup.ServiceDefaults;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The SMTP server is down for longer than the quorum queue's delivery limit's worth of rounds: each round, the
/// notifier sends the event again to the back of its queue (a new message) instead of handing it back, so the limit is
/// never reached; once the server is back, exactly one email arrives, and nothing was dead-lettered.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_mail_server_is_down_past_the_delivery_limit(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartNotifier(settings =>
        {
            settings["Smtp:Retries"] = "1";
            settings["Smtp:RetryDelay"] = "00:00:00.050";
            settings["Notifier:RetryDelays:0"] = "00:00:00.050";
            settings["Notifier:ResendDelay"] = "00:00:00.100";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Exactly_one_email_arrives_once_it_is_back_and_nothing_is_dead_lettered()
    {
        var delivered = await rabbit.ListenAsync("Backup.Contracts:BackupDelivered");
        await system.Mail.StopAsync();
        var backup = await StoredBackups.StoreAsync(system, 2048);
        await rabbit.PublishEventAsync(backup);

        // At most two attempts a round (one endpoint retry): more rounds than the limit would allow hand-backs.
        var attempts = 2 * (QuorumQueues.DeliveryLimit + 2);
        await Eventually.True(async () => (await StoredBackups.DeliveriesAsync(system, backup.RunId)).All(d => d.Attempts >= attempts),
            $"{attempts} attempts (more than {QuorumQueues.DeliveryLimit + 1} rounds) while the mail server is down", TimeSpan.FromMinutes(2));
        Assert.Empty(system.Mail.Messages);

        system.Mail.Start();
        await Eventually.True(() => Task.FromResult(!delivered.IsEmpty), "BackupDelivered");
        var mail = Assert.Single(system.Mail.Messages);
        Assert.Equal([backup.Sha256], await StoredBackups.AttachmentHashesAsync(mail));
        Assert.All(await StoredBackups.DeliveriesAsync(system, backup.RunId), d => Assert.Equal(NotificationStates.Sent, d.State));
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "send-backup-email") == 0,
            "the queue to be empty (the management API's counts lag by a few seconds)");
        Assert.Equal(0, await system.Broker.QueueDepthAsync(system.VirtualHost, "send-backup-email_error"));
        Assert.Single(system.Mail.Messages);
    }
}
