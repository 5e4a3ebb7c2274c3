using System.Text.Json;
using Backup.Database.Notifications;
using Backup.Contracts;
using Backup.IntegrationTests.Infrastructure;
using MimeKit;

namespace Backup.IntegrationTests.Notifying;

/// <summary>
/// A BackupCompleted for an artifact in the store: one email to the administrators with the artifact attached, text
/// and HTML bodies carrying the facts, the manifest's tables and how to restore it; BackupDelivered published; the
/// same event delivered again sends nothing.
/// </summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_a_backup_completes(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    System.Collections.Concurrent.ConcurrentQueue<JsonElement> delivered = null!;
    BackupCompleted backup = null!;
    MimeMessage mail = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartNotifier();
        rabbit = await RawRabbit.ConnectAsync(system);
        delivered = await rabbit.ListenAsync("Backup.Contracts:BackupDelivered");
        backup = await StoredBackups.StoreAsync(system, 64 * 1024);
        await rabbit.PublishEventAsync(backup);
        mail = await system.Mail.WaitForAsync(m => m.IsAbout(backup.RunId), "the backup email");
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task The_attachment_is_the_artifact_byte_for_byte()
    {
        Assert.Equal([backup.Sha256], await StoredBackups.AttachmentHashesAsync(mail));
        Assert.Equal(BackupSystem.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
    }

    [Fact]
    public void Both_bodies_carry_the_facts_the_tables_and_how_to_restore_it()
    {
        foreach (var body in new[] { mail.TextBody, mail.HtmlBody })
        {
            Assert.NotNull(body);
            Assert.Contains("demo", body);
            Assert.Contains(backup.RunId.ToString(), body);
            Assert.Contains(backup.Sha256, body);
            Assert.Contains("64.0 KiB", body);
            Assert.Contains("42.0 s", body);
            Assert.Contains(backup.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss"), body);
            Assert.Contains("public.customers", body);
            Assert.Contains("billing.invoices", body);
            Assert.Contains("1,234", body);
            Assert.Contains("zstd -dc", body);
            Assert.Contains("pg_restore --no-owner --no-privileges --clean --if-exists --single-transaction", body);
            Assert.Contains($"backupctl restore --store {system.StoreRoot} {backup.ArtifactKey}", body);
        }
    }

    [Fact]
    public async Task Delivered_twice_it_is_sent_once_and_reported_delivered()
    {
        await Eventually.True(() => Task.FromResult(delivered.Count == 1), "BackupDelivered");
        Assert.Equal(2, delivered.Single().GetProperty("recipientCount").GetInt32());

        await rabbit.PublishEventAsync(backup);
        // The repeat is handled (it reports the delivery again) without sending anything.
        await Eventually.True(() => Task.FromResult(delivered.Count == 2), "the repeated event to be handled");
        Assert.Single(system.Mail.Messages, m => m.IsAbout(backup.RunId));
        var rows = await StoredBackups.DeliveriesAsync(system, backup.RunId);
        Assert.Equal(BackupSystem.Administrators.Order(), rows.Select(r => r.Recipient).Order());
        Assert.All(rows, row => Assert.Equal((NotificationStates.Sent, 1, NotificationKinds.Backup), (row.State, row.Attempts, row.Kind)));
    }
}
