using System.Text.Json;
using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// A notifier process is sending the backup email: the mail server has the message data and holds its reply, and the
/// process is killed (SIGKILL) with the delivery rows still "sending". RabbitMQ hands the event to the next notifier
/// (Notifier:SendingTimeout 10 s): once the rows are older than that, it records them unknown, sends nothing again,
/// says so in BackupDeliveryFailed, and alerts the administrators (the WARNING email, once, and the webhook).
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_notifier_dies_mid_send(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "ConnectionStrings:Catalog"];
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    HttpSink http = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        http = new HttpSink();
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        system.Mail.ReleaseHeld();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await http.DisposeAsync();
    }

    void Configure(Dictionary<string, string?> settings)
    {
        settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/ops";
        settings["Notifier:SendingTimeout"] = "00:00:10";
        settings["Notifier:RetryDelays:0"] = "00:00:00.500";
        // The next notifier finds the rows sending (the dead one's claim) and sends the event round again after this,
        // until the rows are older than SendingTimeout: the default (1 min) would outlast the test's wait.
        settings["Notifier:ResendDelay"] = "00:00:01";
        settings["Smtp:Timeout"] = "00:05:00"; // the dying notifier waits for the reply until it is killed
    }

    [Fact]
    public async Task Its_delivery_becomes_unknown_is_not_resent_and_is_alerted()
    {
        var failed = await rabbit.ListenAsync("Backup.Contracts:BackupDeliveryFailed");
        var backup = await StoredBackups.StoreAsync(system, 2048);
        system.Mail.HoldDataReplyOnce(m => m.Attachments.Any());
        var settings = system.Configuration("Backup.Notifier");
        Configure(settings);

        await using (var dying = await ServiceProcess.StartAsync("Backup.Notifier", settings, Secrets))
        {
            await rabbit.PublishEventAsync(backup);
            await Eventually.True(() => Task.FromResult(!system.Mail.Held.IsEmpty), "the mail server to hold the backup email's reply");
            var sending = await StoredBackups.DeliveriesAsync(system, backup.RunId);
            Assert.Equal(2, sending.Count);
            Assert.All(sending, d => Assert.Equal(NotificationStates.Sending, d.State));
            dying.KillHard();
        }
        system.Mail.ReleaseHeld(); // the server delivers what it received: the administrators do have it

        await system.StartNotifier(Configure);
        var warning = await system.Mail.WaitForAsync(m => m.Subject?.Contains("WARNING") == true, "the outcome-unknown alert");
        Assert.Contains(backup.RunId.ToString(), warning.TextBody);
        Assert.Contains("NOT sent again", warning.TextBody);
        var hook = await http.WaitForAsync(r => r.Path == "/hooks/ops", "the webhook");
        Assert.Equal("delivery.unknown", JsonDocument.Parse(hook.Body).RootElement.GetProperty("kind").GetString());
        await Eventually.True(() => Task.FromResult(!failed.IsEmpty), "BackupDeliveryFailed");

        var rows = await StoredBackups.DeliveriesAsync(system, backup.RunId);
        var backupRows = rows.Where(r => r.Kind == NotificationKinds.Backup).ToList();
        Assert.Equal(2, backupRows.Count);
        Assert.All(backupRows, r =>
        {
            Assert.Equal(NotificationStates.Unknown, r.State);
            Assert.Equal(1, r.Attempts);
            Assert.Contains("recorded no outcome within 00:00:10", r.LastError);
        });
        Assert.All(rows.Where(r => r.Kind == NotificationKinds.OutcomeUnknownAlert), r => Assert.Equal(NotificationStates.Sent, r.State));
        var failure = Assert.Single(failed);
        Assert.Contains("unknown", failure.GetProperty("reason").GetString());

        // The event again (as RabbitMQ would after another crash): still the one copy the dead notifier sent, one alert.
        await rabbit.PublishEventAsync(backup);
        await Eventually.True(() => Task.FromResult(failed.Count == 2), "the repeated event to be handled");
        Assert.Single(system.Mail.Messages, m => m.Attachments.Any());
        Assert.Single(system.Mail.Messages, m => m.Subject?.Contains("WARNING") == true);
        Assert.Single(http.Requests);
    }
}
