using Backup.Database;
using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>A source whose password is wrong: BackupFailed with a reason a person can act on, an alert email, Failed in the catalog, no artifact.</summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_source_password_is_wrong(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    readonly Guid runId = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper(settings => settings["Sources:demo:Password"] = "not-the-password");
        await system.StartNotifier();
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        await rabbit.PublishAsync("Backup.Contracts:BackupRequested", $$"""
            {"messageType":["urn:message:Backup.Contracts:BackupRequested"],
             "message":{"runId":"{{runId}}","source":"demo","requestedAt":"{{DateTimeOffset.UtcNow:O}}","requestedBy":"test" } }
            """);
    }

    public Task DisposeAsync() => system.DisposeAsync().AsTask();

    [Fact]
    public async Task It_records_Failed_with_a_reason_naming_the_credentials_to_check()
    {
        var run = await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        Assert.Equal("AuthenticationFailed", run.FailureCode);
        Assert.Contains("Sources:demo:Password", run.FailureReason);
        Assert.Contains("password authentication failed", run.FailureReason);
        Assert.DoesNotContain("not-the-password", run.FailureReason);
        Assert.Null(run.ArtifactKey);
    }

    [Fact]
    public async Task It_alerts_the_administrators_at_once()
    {
        var alert = await system.Mail.WaitForAsync(m => m.Subject?.Contains("ALERT") == true, "the failure alert", TimeSpan.FromSeconds(30));
        Assert.Equal(BackupSystem.Administrators.Order(), alert.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains("AuthenticationFailed", alert.TextBody);
        Assert.Contains(runId.ToString(), alert.TextBody);
        Assert.Empty(alert.Attachments);
    }

    [Fact]
    public async Task It_leaves_nothing_in_the_store()
    {
        await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        Assert.Empty(Directory.EnumerateFiles(system.StoreRoot, "*", SearchOption.AllDirectories));
    }
}
