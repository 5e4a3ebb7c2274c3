using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The SMTP server is down for longer than the quorum queue's delivery limit's worth of rounds (counted as the
/// notifier's deliveries from the queue): each round, the
/// notifier sends the event again to the back of its queue (a new message) instead of handing it back, so the limit is
/// never reached; once the server is back, exactly one email arrives, and nothing was dead-lettered.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_mail_server_is_down_past_the_delivery_limit(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly DeliveryCounter deliveries = new();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        var notifier = await system.StartNotifier(settings =>
        {
            settings["Smtp:Retries"] = "1";
            settings["Smtp:RetryDelay"] = "00:00:00.050";
            settings["Notifier:RetryDelays:0"] = "00:00:00.050";
            settings["Notifier:ResendDelay"] = "00:00:00.100";
        });
        notifier.Services.GetRequiredService<IBus>().ConnectReceiveObserver(deliveries);
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

        // Each round is one delivery from the queue: more of them than the limit allows hand-backs, and still there.
        var rounds = QuorumQueues.DeliveryLimit + 3;
        await Eventually.True(() => Task.FromResult(deliveries.Of("send-backup-email") >= rounds),
            $"{rounds} deliveries from send-backup-email (the delivery limit is {QuorumQueues.DeliveryLimit}) while the mail server is down",
            TimeSpan.FromMinutes(2));
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

    /// <summary>Counts the messages each of the notifier's queues handed it.</summary>
    sealed class DeliveryCounter : IReceiveObserver
    {
        readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> counts = new();

        public int Of(string queue) => counts.GetValueOrDefault(queue);

        public Task PreReceive(ReceiveContext context)
        {
            counts.AddOrUpdate(context.InputAddress.AbsolutePath.Split('/')[^1], 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task PostReceive(ReceiveContext context) => Task.CompletedTask;
        public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;
        public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class =>
            Task.CompletedTask;
        public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;
    }
}
