using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Notifying;

/// <summary>Notifier:Sources:demo:Administrators replaces the global list for demo only.</summary>
[Collection(SecondLaneCollection.Name)]
public sealed class When_sources_have_their_own_administrators(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartNotifier(settings =>
        {
            settings["Notifier:Sources:demo:Administrators:0"] = "demo-owner@example.com";
            settings["Notifier:Sources:demo:Administrators:1"] = "demo-dba@example.com";
        });
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Each_source_mail_goes_to_its_own_administrators_only()
    {
        var demoFailure = StoredBackups.Failure("demo");
        var otherFailure = StoredBackups.Failure("warehouse");
        var demoBackup = await StoredBackups.StoreAsync(system, 1000, "demo");
        var otherBackup = await StoredBackups.StoreAsync(system, 1000, "warehouse");
        foreach (var message in new object[] { demoFailure, otherFailure })
            await rabbit.PublishEventAsync((Contracts.BackupFailed)message);
        await rabbit.PublishEventAsync(demoBackup);
        await rabbit.PublishEventAsync(otherBackup);

        string[] demoAdmins = ["demo-dba@example.com", "demo-owner@example.com"];
        foreach (var runId in new[] { demoFailure.RunId, demoBackup.RunId })
        {
            var mail = await system.Mail.WaitForAsync(m => m.IsAbout(runId), $"the mail of demo's run {runId}");
            Assert.Equal(demoAdmins, mail.To.Mailboxes.Select(m => m.Address).Order());
        }
        foreach (var runId in new[] { otherFailure.RunId, otherBackup.RunId })
        {
            var mail = await system.Mail.WaitForAsync(m => m.IsAbout(runId), $"the mail of warehouse's run {runId}");
            Assert.Equal(BackupSystem.Administrators.Order(), mail.To.Mailboxes.Select(m => m.Address).Order());
        }
        Assert.Equal(4, system.Mail.Messages.Count);
        Assert.DoesNotContain(system.Mail.Messages, m => m.IsAbout(otherBackup.RunId) && m.To.Mailboxes.Any(a => a.Address.StartsWith("demo-")));
    }
}
