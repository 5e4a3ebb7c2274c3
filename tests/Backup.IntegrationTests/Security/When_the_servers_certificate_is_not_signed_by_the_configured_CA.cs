using System.Diagnostics;
using Backup.Archive;
using Backup.Database;
using Backup.Dumper;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.Restorer;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// The source and the restore server configured with SslMode VerifyFull and a CA the test made, which did not sign
/// the test PostgreSQL's certificate: the dumper's BackupFailed and the restorer's RestoreFailed say the server's
/// certificate was not accepted and which setting to check, without the password; pg_dump, started as the dumper
/// starts it, refuses the server too; and a dumper given VerifyFull without a CA file does not start.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_servers_certificate_is_not_signed_by_the_configured_CA(TestInfrastructure infrastructure) : IAsyncLifetime
{
    readonly string folder = Directory.CreateTempSubdirectory("backup-tls-").FullName;
    BackupSystem system = null!;
    string otherCa = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        otherCa = ServerCertificates.WriteOtherCa(folder);
    }

    public async Task DisposeAsync()
    {
        await system.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task The_backup_fails_with_a_reason_naming_the_certificate_and_the_setting()
    {
        await system.StartCatalog();
        await system.StartDumper(settings =>
        {
            settings["Sources:demo:SslMode"] = "VerifyFull";
            settings["Sources:demo:RootCertificateFile"] = otherCa;
        });
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var runId = Guid.NewGuid();

        await rabbit.RequestBackupAsync(runId, "demo");

        var run = await system.WaitForStateAsync(runId, BackupRunStates.Failed);
        Assert.Equal("AuthenticationFailed", run.FailureCode); // not retried: trying again changes nothing
        Assert.Contains("certificate was not accepted", run.FailureReason);
        Assert.Contains("Sources:demo:RootCertificateFile", run.FailureReason);
        Assert.Contains(otherCa, run.FailureReason);
        Assert.DoesNotContain(system.SourcePassword, run.FailureReason);
        Assert.Null(run.ArtifactKey);
    }

    [Fact]
    public async Task The_restore_fails_with_a_reason_naming_the_certificate()
    {
        await system.StartCatalog();
        await system.StartDumper();
        await using var rabbit = await RawRabbit.ConnectAsync(system);
        var outcomes = await RestoreOutcomes.ListenAsync(rabbit);
        var runId = Guid.NewGuid();
        await rabbit.RequestBackupAsync(runId, "demo");
        var key = (await system.WaitForStateAsync(runId, BackupRunStates.Completed)).ArtifactKey!;
        // Started after the backup: until its first restore, its readiness check would wait on the refused server.
        var restorer = system.Build("Backup.Restorer", b => b.AddRestorer(), settings =>
        {
            settings["Restore:SslMode"] = "VerifyFull";
            settings["Restore:RootCertificateFile"] = otherCa;
        });
        await restorer.StartAsync();
        try
        {
            var target = system.NewDatabaseName();
            var restoreId = Guid.NewGuid();
            await rabbit.RequestRestoreAsync(restoreId, key, target);

            var outcome = await outcomes.WaitAsync(restoreId);

            Assert.False(outcome.Completed, outcome.ToString());
            Assert.Equal("ConnectionFailed", outcome.ErrorCode);
            Assert.Contains("certificate was not accepted", outcome.Reason);
            Assert.Contains(otherCa, outcome.Reason);
            Assert.DoesNotContain(system.Postgres.Password, outcome.Reason);
            Assert.False(await system.Postgres.DatabaseExistsAsync(target), "the refused restore created its database");
        }
        finally
        {
            await restorer.StopAsync();
            await restorer.DisposeAsync();
        }
    }

    [Fact]
    public async Task pg_dump_started_as_the_dumper_starts_it_refuses_the_server()
    {
        var tool = new PgDumpTool(Options.Create(new DumperOptions { PgBinDirectory = system.Postgres.BinDirectory }));
        string[] arguments = [$"--host={system.Postgres.Host}", $"--port={system.Postgres.Port}", $"--username={system.SourceRole}",
            "--no-password", "--schema-only", $"--dbname={system.SourceDatabase}"];
        var passFile = Path.Combine(folder, "pgpass");
        await File.WriteAllTextAsync(passFile, $"*:*:*:{system.SourceRole}:{system.SourcePassword}\n");
        File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var refused = await RunAsync(tool.Start("pg_dump", arguments, passFile, new PgTls(PgSslMode.VerifyFull, otherCa)));
        var verified = await RunAsync(tool.Start("pg_dump", arguments, passFile, new PgTls(PgSslMode.VerifyFull, ServerCertificates.CaFile)));

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("certificate verify failed", refused.Errors);
        Assert.True(verified.ExitCode == 0, verified.Errors);
    }

    [Fact]
    public async Task A_dumper_with_VerifyFull_and_no_CA_file_does_not_start()
    {
        await using var dumper = system.Build("Backup.Dumper", b => b.AddDumper(), settings => settings["Sources:demo:SslMode"] = "VerifyFull");

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => dumper.StartAsync());

        Assert.Contains("Sources:demo:RootCertificateFile", refused.Message);
        Assert.Contains("is required with SslMode VerifyFull", refused.Message);
    }

    static async Task<(int ExitCode, string Errors)> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        var errors = await process.StandardError.ReadToEndAsync();
        await output;
        await process.WaitForExitAsync();
        return (process.ExitCode, errors);
    }
}
