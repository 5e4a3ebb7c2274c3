using System.Text.Json;
using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The SMTP server refuses connections while a backup completes: the in-call and endpoint retries are spent,
/// BackupDeliveryFailed says so, the event is sent again to its queue (not to the error queue) and comes round again;
/// once the server is up, exactly one email arrives and BackupDelivered follows.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_mail_server_is_down_for_a_while(TestInfrastructure infrastructure) : IAsyncLifetime
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
            settings["Notifier:RetryDelays:0"] = "00:00:00.200";
            settings["Notifier:ResendDelay"] = "00:00:00.200";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Exactly_one_email_arrives_once_it_is_back()
    {
        var failed = await rabbit.ListenAsync("Backup.Contracts:BackupDeliveryFailed");
        var delivered = await rabbit.ListenAsync("Backup.Contracts:BackupDelivered");
        await system.Mail.StopAsync();
        var backup = await StoredBackups.StoreAsync(system, 4096);
        await rabbit.PublishEventAsync(backup);

        await Eventually.True(() => Task.FromResult(!failed.IsEmpty), "BackupDeliveryFailed");
        Assert.Contains("went back to the broker", failed.First().GetProperty("reason").GetString());
        // Two attempts per delivery (Notifier:RetryDelays has one delay): a third claim means RabbitMQ delivered it again.
        await Eventually.True(async () => (await StoredBackups.DeliveriesAsync(system, backup.RunId)).All(d => d.Attempts >= 3),
            "the event to come back from the broker");
        Assert.Empty(system.Mail.Messages);

        system.Mail.Start();
        await Eventually.True(() => Task.FromResult(!delivered.IsEmpty), "BackupDelivered");
        var mail = Assert.Single(system.Mail.Messages);
        Assert.Equal([backup.Sha256], await StoredBackups.AttachmentHashesAsync(mail));
        Assert.All(await StoredBackups.DeliveriesAsync(system, backup.RunId), d => Assert.Equal(NotificationStates.Sent, d.State));
        Assert.Single(failed); // said once, not at every round
        await Eventually.True(async () => await system.Broker.QueueDepthAsync(system.VirtualHost, "send-backup-email") == 0,
            "the queue to be empty (the management API's counts lag by a few seconds)");
        Assert.Equal(0, await system.Broker.QueueDepthAsync(system.VirtualHost, "send-backup-email_error"));
    }
}
