using System.Diagnostics;
using System.Text.Json;
using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// BackupVerificationFailed, published as the drill service would: the urgent ALERT email within 5 seconds naming the
/// failed table and check and the first thing to check, the JSON and Slack webhooks, the source's /fail ping; the same
/// event delivered twice sends the email once. A BackupVerified over its RTO target sends the WARNING email and the
/// webhooks; one within its target sends nothing.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_restore_drill_fails(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    HttpSink http = null!;
    TimeSpan publishToReceipt;

    readonly BackupVerificationFailed failure = new()
    {
        RunId = Guid.NewGuid(),
        Source = "demo",
        ArtifactKey = "demo/2026/12/06/020000-run.dump.zst",
        StartedAt = DateTimeOffset.UtcNow.AddMinutes(-2),
        FailedAt = DateTimeOffset.UtcNow,
        ErrorCode = VerificationErrorCodes.RowCountMismatch,
        Reason = "1 table restored a different number of rows than the dump counted in its snapshot; 1 check failed.",
        Failures =
        [
            "billing.invoices: 1,234 rows in the dump's snapshot, 1,200 restored",
            "check invoices_paid (SELECT bool_and(paid) FROM billing.invoices): returned false",
        ],
        Steps = [new DrillStep { Name = "fetch", Seconds = 0.4 }, new DrillStep { Name = "data", Seconds = 3.2 }],
        Tables = [new RestoredTable { Schema = "billing", Name = "invoices", ExpectedRows = 1234, RestoredRows = 1200 }],
        Checks = [new DrillCheck { Name = "invoices_paid", Passed = false, Detail = "returned false" }],
    };

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        http = new HttpSink();
        await system.StartNotifier(settings =>
        {
            settings["Notifier:Webhooks:ops:Url"] = $"{http.BaseUrl}/hooks/json-secret-token";
            settings["Notifier:Webhooks:chat:Url"] = $"{http.BaseUrl}/hooks/slack-secret-token";
            settings["Notifier:Webhooks:chat:Format"] = "Slack";
            settings["Notifier:Sources:demo:PingUrl"] = $"{http.BaseUrl}/ping/check-uuid";
        });
        rabbit = await RawRabbit.ConnectAsync(system);

        var clock = Stopwatch.StartNew();
        await rabbit.PublishEventAsync(failure);
        await system.Mail.WaitForAsync(m => m.IsAbout(failure.RunId), "the drill alert", TimeSpan.FromSeconds(5));
        publishToReceipt = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        await http.DisposeAsync();
    }

    [Fact]
    public void The_alert_arrives_within_5_seconds_naming_the_failed_table_and_check_and_what_to_check_first()
    {
        Assert.True(publishToReceipt < TimeSpan.FromSeconds(5), $"the alert took {publishToReceipt}");
        var alert = Assert.Single(system.Mail.Messages);
        Assert.Equal("[Backup] ALERT demo: restore drill failed (RowCountMismatch)", alert.Subject);
        Assert.Equal(MimeKit.MessagePriority.Urgent, alert.Priority);
        Assert.Equal(BackupSystem.Administrators.Order(), alert.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains("  - billing.invoices: 1,234 rows in the dump's snapshot, 1,200 restored", alert.TextBody);
        Assert.Contains("  - check invoices_paid (SELECT bool_and(paid) FROM billing.invoices): returned false", alert.TextBody);
        Assert.Contains("billing.invoices: 1,234 rows", alert.HtmlBody);
        Assert.Contains("check invoices_paid", alert.HtmlBody);
        Assert.Contains(failure.Reason, alert.TextBody);
        Assert.Contains("whether its manifest (beside it in the store) was changed after the backup", alert.TextBody);
    }

    [Fact]
    public async Task The_webhooks_and_the_fail_ping_receive_it()
    {
        var json = await http.WaitForAsync(r => r.Path == "/hooks/json-secret-token", "the JSON webhook");
        var alert = JsonDocument.Parse(json.Body).RootElement;
        Assert.Equal("drill.failed", alert.GetProperty("kind").GetString());
        Assert.Equal(failure.RunId, alert.GetProperty("runId").GetGuid());
        Assert.Equal("RowCountMismatch", alert.GetProperty("errorCode").GetString());
        Assert.Equal(failure.Failures, alert.GetProperty("failures").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("manifest", alert.GetProperty("firstCheck").GetString());

        var slack = await http.WaitForAsync(r => r.Path == "/hooks/slack-secret-token", "the Slack webhook");
        Assert.Contains("Restore drill of demo FAILED (RowCountMismatch)", JsonDocument.Parse(slack.Body).RootElement.GetProperty("text").GetString());

        var fail = await http.WaitForAsync(r => r.Path == "/ping/check-uuid/fail", "the fail ping");
        Assert.Contains("restore drill failed (RowCountMismatch)", fail.Body);
    }

    [Fact]
    public async Task Delivered_twice_the_alert_is_sent_once()
    {
        await http.WaitForAsync(r => r.Path == "/ping/check-uuid/fail", "the first fail ping");
        await rabbit.PublishEventAsync(failure);
        // The repeat reaches every endpoint: the ping (at least once, like the webhooks) comes again; the email does not.
        await Eventually.True(() => Task.FromResult(http.Requests.Count(r => r.Path == "/ping/check-uuid/fail") == 2), "the repeat to be handled");
        await Eventually.True(async () => (await StoredBackups.DeliveriesAsync(system, failure.RunId)).All(d => d.Attempts == 1), "the deliveries");
        Assert.Single(system.Mail.Messages, m => m.IsAbout(failure.RunId));
        var rows = await StoredBackups.DeliveriesAsync(system, failure.RunId);
        Assert.Equal(BackupSystem.Administrators.Order(), rows.Select(r => r.Recipient).Order());
        Assert.All(rows, row => Assert.Equal((NotificationStates.Sent, 1, NotificationKinds.DrillFailureAlert), (row.State, row.Attempts, row.Kind)));
    }

    [Fact]
    public async Task A_passed_drill_over_its_target_warns_and_one_within_it_says_nothing()
    {
        BackupVerified Verified(double seconds) => new()
        {
            RunId = Guid.NewGuid(),
            Source = "demo",
            ArtifactKey = "demo/2026/12/06/020000-run.dump.zst",
            StartedAt = DateTimeOffset.UtcNow.AddSeconds(-seconds),
            VerifiedAt = DateTimeOffset.UtcNow,
            RecoveryTimeSeconds = seconds,
            RtoTargetSeconds = 1800,
            Steps = [new DrillStep { Name = "fetch", Seconds = 60 }, new DrillStep { Name = "data", Seconds = seconds - 60 }],
            Tables = [],
            Checks = [],
        };
        var within = Verified(1799);
        var over = Verified(2400);
        // Both go to the same queues, within first; it needs no database or mail server, so it is long done when the warning arrives.
        await rabbit.PublishEventAsync(within);
        await rabbit.PublishEventAsync(over);

        var warning = await system.Mail.WaitForAsync(m => m.IsAbout(over.RunId), "the over-target warning");
        Assert.Equal("[Backup] WARNING demo: measured recovery time over the target (40 min > 30 min)", warning.Subject);
        Assert.Contains("slowest step (data, 39 min)", warning.TextBody);
        var hook = await http.WaitForAsync(r => r.Path == "/hooks/json-secret-token" && r.Body.Contains("drill.slow"), "the drill.slow webhook");
        Assert.Equal(over.RunId, JsonDocument.Parse(hook.Body).RootElement.GetProperty("runId").GetGuid());
        Assert.Equal(NotificationKinds.DrillRtoWarning, Assert.Single((await StoredBackups.DeliveriesAsync(system, over.RunId)).Select(d => d.Kind).Distinct()));

        Assert.DoesNotContain(system.Mail.Messages, m => m.IsAbout(within.RunId));
        Assert.Empty(await StoredBackups.DeliveriesAsync(system, within.RunId));
        Assert.DoesNotContain(http.Requests, r => r.Body.Contains(within.RunId.ToString()));
    }
}
