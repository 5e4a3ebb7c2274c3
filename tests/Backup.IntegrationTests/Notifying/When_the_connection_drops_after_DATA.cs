using System.Text.Json;
using Backup.Database.Notifications;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// The mail server takes the backup email's data and drops the connection instead of answering: the notifier can't
/// know whether it was delivered. It records unknown, does not resend (not even when the event comes again), says
/// so in BackupDeliveryFailed, and alerts the administrators by a separate email and the webhook.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_connection_drops_after_DATA(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    HttpSink http = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        http = new HttpSink();
        await system.StartNotifier(settings => settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/ops");
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await http.DisposeAsync();
    }

    [Fact]
    public async Task It_is_recorded_unknown_not_resent_and_alerted()
    {
        var failed = await rabbit.ListenAsync("Backup.Contracts:BackupDeliveryFailed");
        var backup = await StoredBackups.StoreAsync(system, 2048);
        system.Mail.DropConnectionAfterDataOnce(m => m.Attachments.Any());
        await rabbit.PublishEventAsync(backup);

        var warning = await system.Mail.WaitForAsync(m => m.Subject?.Contains("WARNING") == true, "the outcome-unknown alert");
        Assert.Contains(backup.RunId.ToString(), warning.TextBody);
        Assert.Contains("NOT sent again", warning.TextBody);
        var hook = await http.WaitForAsync(r => r.Path == "/hooks/ops", "the webhook");
        Assert.Equal("delivery.unknown", JsonDocument.Parse(hook.Body).RootElement.GetProperty("kind").GetString());
        await Eventually.True(() => Task.FromResult(!failed.IsEmpty), "BackupDeliveryFailed");
        Assert.Contains("unknown", failed.First().GetProperty("reason").GetString());

        var rows = await StoredBackups.DeliveriesAsync(system, backup.RunId);
        Assert.All(rows.Where(r => r.Kind == NotificationKinds.Backup), r => Assert.Equal(NotificationStates.Unknown, r.State));
        Assert.Equal(2, rows.Count(r => r.Kind == NotificationKinds.Backup));
        Assert.All(rows.Where(r => r.Kind == NotificationKinds.OutcomeUnknownAlert), r => Assert.Equal(NotificationStates.Sent, r.State));

        // The same event again: still one backup email, one alert.
        await rabbit.PublishEventAsync(backup);
        await Eventually.True(() => Task.FromResult(failed.Count == 2), "the repeated event to be handled");
        Assert.Single(system.Mail.Dropped);
        Assert.Single(system.Mail.Messages, m => m.Attachments.Any());
        Assert.Single(system.Mail.Messages, m => m.Subject?.Contains("WARNING") == true);
        Assert.Single(http.Requests);
    }
}
