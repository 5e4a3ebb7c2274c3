using System.Security.Cryptography;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.EntityFrameworkCore;
using MimeKit;
using Npgsql;

namespace Backup.IntegrationTests.EndToEnd;

/// <summary>
/// RabbitMQ is stopped and started again while a dump runs (held up by a table lock the test keeps until the broker
/// is back). Every service reconnects: the dump's BackupCompleted is published once the broker answers, the
/// catalog and the notifier consume again, and the run ends Delivered with one email whose attachment is the
/// artifact. A request published after the restart is served too. Nothing lost, nothing doubled.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_broker_restarts_mid_run(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly Guid duringRestart = Guid.NewGuid(), afterRestart = Guid.NewGuid();
    BackupSystem system = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        await system.StartCatalog();
        await system.StartDumper();
        await system.StartNotifier();

        await using (var blocker = new NpgsqlConnection(system.Postgres.ConnectionString(system.SourceDatabase)))
        {
            await blocker.OpenAsync();
            await using var hold = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE public.customers IN ACCESS EXCLUSIVE MODE", blocker, hold))
                await lockTable.ExecuteNonQueryAsync();

            await using (var rabbit = await RawRabbit.ConnectAsync(system))
                await rabbit.RequestBackupAsync(duringRestart, "demo");
            await system.WaitForStateAsync(duringRestart, BackupRunStates.Running);

            await infrastructure.RestartBrokerAsync();
            await hold.RollbackAsync();
        }

        await system.WaitForStateAsync(duringRestart, BackupRunStates.Delivered, TimeSpan.FromMinutes(3));
        await using (var rabbit = await RawRabbit.ConnectAsync(system))
            await rabbit.RequestBackupAsync(afterRestart, "demo");
        await system.WaitForStateAsync(afterRestart, BackupRunStates.Delivered, TimeSpan.FromMinutes(3));
    }

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public async Task The_run_that_spanned_the_restart_was_dumped_once_and_emailed_once_with_its_artifact()
    {
        var run = (await system.RunAsync(duringRestart))!;
        await using (var catalog = system.Catalog())
            Assert.Equal(1, (await catalog.Jobs.AsNoTracking().SingleAsync(j => j.Kind == "dump" && j.Key == duringRestart.ToString("N"))).Attempts);

        var attached = await AttachmentHashesAsync();
        Assert.Single(attached, hash => hash == run.Sha256);

        var store = new FileSystemArtifactStore(Microsoft.Extensions.Options.Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        await using var artifact = await store.OpenReadAsync(ArtifactKey.Parse(run.ArtifactKey!), CancellationToken.None);
        Assert.Equal(run.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(artifact)));
    }

    [Fact]
    public async Task A_request_after_the_restart_is_served_and_each_run_has_exactly_one_email()
    {
        Assert.Equal(BackupRunStates.Delivered, (await system.RunAsync(afterRestart))!.CurrentState);
        var attached = await AttachmentHashesAsync();
        Assert.Equal(2, attached.Count);
        var sha256 = (await system.RunAsync(afterRestart))!.Sha256;
        Assert.Single(attached, hash => hash == sha256);
    }

    /// <summary>The SHA-256 of every attachment the administrators received.</summary>
    async Task<List<string>> AttachmentHashesAsync()
    {
        var hashes = new List<string>();
        foreach (var attachment in system.Mail.Messages.SelectMany(m => m.Attachments.OfType<MimePart>()))
        {
            using var decoded = new MemoryStream();
            await attachment.Content!.DecodeToAsync(decoded);
            hashes.Add(Convert.ToHexStringLower(SHA256.HashData(decoded.ToArray())));
        }
        return hashes;
    }
}
