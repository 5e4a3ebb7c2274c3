using System.Security.Cryptography;
using Backup.Contracts;
using Backup.Notifier.Consumers;
using MimeKit;

namespace Backup.Notifier.Tests.Consumers;

public sealed class When_a_backup_completes : IAsyncLifetime
{
    NotifierConsumersUnderTest notifier = null!;
    BackupCompleted completed = null!;
    byte[] bytes = null!;

    public async Task InitializeAsync()
    {
        notifier = await NotifierConsumersUnderTest.StartAsync();
        (completed, bytes) = await notifier.StoreBackupAsync();
        Assert.All(await notifier.ConsumeAsync<SendBackupEmailConsumer, BackupCompleted>(completed, c => c.RunId), Assert.Null);
    }

    public async Task DisposeAsync() => await notifier.DisposeAsync();

    [Fact]
    public void It_emails_the_backup_attached_to_the_administrators()
    {
        var mail = Assert.Single(notifier.Emails());
        Assert.StartsWith("[Backup] demo: backup completed", mail.Subject);
        Assert.Equal(NotifierConsumersUnderTest.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
        var attachment = Assert.Single(mail.Attachments.OfType<MimePart>());
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(content.ToArray()));
    }

    [Fact]
    public void It_publishes_BackupDelivered()
    {
        var delivered = Assert.Single(notifier.Published<BackupDelivered>());
        Assert.Equal((completed.RunId, "demo", 2, "pickup-directory", NotifierConsumersUnderTest.Now),
            (delivered.RunId, delivered.Source, delivered.RecipientCount, delivered.Channel, delivered.DeliveredAt));
        Assert.Empty(notifier.Published<BackupDeliveryFailed>());
    }
}

public sealed class When_the_completed_backup_names_an_artifact_key_not_made_by_the_dumper : IAsyncLifetime
{
    NotifierConsumersUnderTest notifier = null!;

    public async Task InitializeAsync() => notifier = await NotifierConsumersUnderTest.StartAsync();

    public async Task DisposeAsync() => await notifier.DisposeAsync();

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("crm/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst")] // another source's
    public async Task It_publishes_BackupDeliveryFailed_and_sends_nothing(string artifactKey)
    {
        var (completed, _) = await notifier.StoreBackupAsync();
        completed = completed with { ArtifactKey = artifactKey };
        Assert.All(await notifier.ConsumeAsync<SendBackupEmailConsumer, BackupCompleted>(completed, c => c.RunId), Assert.Null);

        var failed = Assert.Single(notifier.Published<BackupDeliveryFailed>());
        Assert.Equal((completed.RunId, "demo"), (failed.RunId, failed.Source));
        Assert.Contains("artifact key was not made by this service", failed.Reason);
        Assert.Empty(notifier.Emails());
        Assert.Empty(await notifier.Catalog.DeliveriesAsync(completed.RunId));
        Assert.Empty(notifier.Published<BackupDelivered>());
    }
}
