using Backup.Notifier;
using System.Diagnostics;
using System.Text.Json;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// BackupFailed: the alert email within 5 seconds with the reason and the first thing to check; the generic JSON
/// and Slack webhooks on a real HTTP listener; the source's healthchecks.io-style check pinged on start, success
/// and failure.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_backup_fails(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    HttpSink http = null!;
    readonly Contracts.BackupFailed failure = StoredBackups.Failure(errorCode: "TimedOut");
    TimeSpan publishToReceipt;
    RecordedMetrics metrics = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        http = new HttpSink();
        var notifier = await system.StartNotifier(settings =>
        {
            settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/json-secret-token";
            settings["Notifier:Webhooks:chat:Url"] = $"{http.BaseUrl}/hooks/slack-secret-token";
            settings["Notifier:Webhooks:chat:Format"] = "Slack";
            settings["Notifier:Sources:demo:PingUrl"] = $"{http.BaseUrl}/ping/check-uuid";
        });
        metrics = new RecordedMetrics(notifier);
        rabbit = await RawRabbit.ConnectAsync(system);

        await rabbit.PublishEventAsync(new Contracts.BackupStarted { RunId = failure.RunId, Source = "demo", StartedAt = DateTimeOffset.UtcNow });
        await http.WaitForAsync(r => r.Path == "/ping/check-uuid/start", "the start ping");
        var clock = Stopwatch.StartNew();
        await rabbit.PublishEventAsync(failure);
        await system.Mail.WaitForAsync(m => m.IsAbout(failure.RunId), "the alert", TimeSpan.FromSeconds(5));
        publishToReceipt = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        metrics.Dispose();
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await http.DisposeAsync();
    }

    [Fact]
    public void The_alert_email_arrives_within_5_seconds_with_the_reason_and_the_first_thing_to_check()
    {
        Assert.True(publishToReceipt < TimeSpan.FromSeconds(5), $"the alert took {publishToReceipt}");
        var alert = Assert.Single(system.Mail.Messages);
        Assert.Contains("ALERT demo", alert.Subject);
        Assert.Contains("TimedOut", alert.Subject);
        Assert.Equal(MimeKit.MessagePriority.Urgent, alert.Priority);
        Assert.Contains(failure.Reason, alert.TextBody);
        // A TimedOut comes from the catalog's run timeout (or pg_dump's own): the hint names both settings.
        Assert.Contains("Catalog:RunTimeouts:demo", alert.TextBody);
        Assert.Contains("Dumper:DumpTimeout", alert.TextBody);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(failure.Reason), alert.HtmlBody);
    }

    /// <summary>Notifications counted by channel and outcome, "channel/outcome" to the count.</summary>
    Dictionary<string, double> Notifications() => metrics.Of(NotifierMetrics.NotificationsName)
        .GroupBy(m => $"{m.Tag("backup.channel")}/{m.Tag("backup.outcome")}").ToDictionary(g => g.Key, g => g.Sum(m => m.Value));

    [Fact]
    public async Task Each_email_webhook_and_ping_it_sent_is_counted_once_by_channel()
    {
        await http.WaitForAsync(r => r.Path == "/ping/check-uuid/fail", "the fail ping");
        await http.WaitForAsync(r => r.Path == "/hooks/slack-secret-token", "the Slack webhook");
        var expected = new Dictionary<string, double>
        {
            ["email/sent"] = system.Mail.Messages.Count,
            ["webhook/sent"] = http.Requests.Count(r => r.Path.StartsWith("/hooks/", StringComparison.Ordinal)),
            ["ping/sent"] = http.Requests.Count(r => r.Path.StartsWith("/ping/", StringComparison.Ordinal)),
        };
        Assert.Equal((1d, 2d, 2d), (expected["email/sent"], expected["webhook/sent"], expected["ping/sent"]));
        await Eventually.True(() => Task.FromResult(Notifications().Count == 3 && Notifications().All(n => expected.GetValueOrDefault(n.Key) == n.Value)),
            "the notifications counted as sent");
        Assert.All(metrics.Of(NotifierMetrics.NotificationsName), m => Assert.Equal(2, m.Tags.Count));
    }

    [Fact]
    public async Task The_webhooks_receive_the_JSON_and_the_Slack_payloads()
    {
        var json = await http.WaitForAsync(r => r.Path == "/hooks/json-secret-token", "the JSON webhook");
        Assert.Equal("POST", json.Method);
        Assert.StartsWith("application/json", json.ContentType);
        var alert = JsonDocument.Parse(json.Body).RootElement;
        Assert.Equal("backup.failed", alert.GetProperty("kind").GetString());
        Assert.Equal("demo", alert.GetProperty("source").GetString());
        Assert.Equal(failure.RunId, alert.GetProperty("runId").GetGuid());
        Assert.Equal("TimedOut", alert.GetProperty("errorCode").GetString());
        Assert.Equal(failure.Reason, alert.GetProperty("reason").GetString());
        Assert.Contains("Catalog:RunTimeouts:demo", alert.GetProperty("firstCheck").GetString());

        var slack = await http.WaitForAsync(r => r.Path == "/hooks/slack-secret-token", "the Slack webhook");
        var text = JsonDocument.Parse(slack.Body).RootElement;
        Assert.Equal(["text"], text.EnumerateObject().Select(p => p.Name));
        Assert.Contains("FAILED", text.GetProperty("text").GetString());
        Assert.Contains(failure.RunId.ToString(), text.GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_check_is_pinged_on_start_success_and_failure()
    {
        var fail = await http.WaitForAsync(r => r.Path == "/ping/check-uuid/fail", "the fail ping");
        Assert.Contains("TimedOut", fail.Body);
        var backup = await StoredBackups.StoreAsync(system, 1000);
        await rabbit.PublishEventAsync(backup);
        var success = await http.WaitForAsync(r => r.Path == "/ping/check-uuid", "the success ping");
        Assert.Contains(backup.Sha256, success.Body);
        Assert.Equal(["/ping/check-uuid/start", "/ping/check-uuid/fail", "/ping/check-uuid"],
            http.Requests.Where(r => r.Path.StartsWith("/ping/", StringComparison.Ordinal)).Select(r => r.Path));
    }
}
