using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>Over Notifier:MaxAttachmentBytes, or plaintext while encrypted attachments are required: a link instead of the artifact.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_the_artifact_is_not_attached(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartNotifier(settings =>
        {
            settings["Notifier:MaxAttachmentBytes"] = "100000";
            settings["Notifier:RequireEncryptedAttachments"] = "true";
            settings["Notifier:ApiBaseUrl"] = "https://backup.example.com/";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Over_the_cap_it_carries_the_download_link_and_no_attachment()
    {
        var backup = await StoredBackups.StoreAsync(system, 100_001, encrypted: true);
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => m.IsAbout(backup.RunId), "the backup email");

        Assert.Empty(mail.Attachments);
        var link = $"https://backup.example.com/api/v1/runs/{backup.RunId}/artifact";
        Assert.Contains(link, mail.TextBody);
        Assert.Contains($"href=\"{link}\"", mail.HtmlBody);
        Assert.Contains("Notifier:MaxAttachmentBytes", mail.TextBody);
        Assert.Contains(backup.Sha256, mail.TextBody);
    }

    [Fact]
    public async Task At_the_cap_an_encrypted_artifact_is_attached()
    {
        var backup = await StoredBackups.StoreAsync(system, 100_000, encrypted: true);
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => m.IsAbout(backup.RunId), "the backup email");

        Assert.Equal([backup.Sha256], await StoredBackups.AttachmentHashesAsync(mail));
        Assert.EndsWith(".dump.zst.gpg", Assert.Single(mail.Attachments).ContentDisposition!.FileName);
    }

    [Fact]
    public async Task A_plaintext_artifact_is_not_attached_when_encryption_is_required()
    {
        var backup = await StoredBackups.StoreAsync(system, 1000, encrypted: false);
        await rabbit.PublishEventAsync(backup);
        var mail = await system.Mail.WaitForAsync(m => m.IsAbout(backup.RunId), "the backup email");

        Assert.Empty(mail.Attachments);
        Assert.Contains("Notifier:RequireEncryptedAttachments", mail.TextBody);
        Assert.Contains($"https://backup.example.com/api/v1/runs/{backup.RunId}/artifact", mail.TextBody);
    }
}
