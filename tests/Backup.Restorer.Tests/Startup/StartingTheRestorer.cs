using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Restorer.Tests.Startup;

/// <summary>
/// The whole restorer as Program.cs builds it, from in-memory settings. Options are validated when the host starts,
/// before the bus tries to reach a broker, so no broker (and no restore server) is needed to see a bad setting stop it.
/// </summary>
sealed class RestorerUnderTest : IAsyncDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("backup-restorer-tests-").FullName;

    public RestorerUnderTest()
    {
        Settings = new()
        {
            // Nothing from this machine's secret folder.
            [BackupHostDefaults.SecretsDirectoryVariable] = Path.Combine(folder, "no-secrets-here"),
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Username"] = "u",
            ["RabbitMq:Password"] = "p",
            ["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=catalog;Timeout=1", // jobs: nobody answers, nothing is claimed
            ["Storage:Root"] = folder,
            ["Restore:Host"] = "127.0.0.1",
            ["Restore:Username"] = "restorer",
        };
    }

    public Dictionary<string, string?> Settings { get; }

    public string Folder => folder;

    /// <summary>What StartAsync threw; null when the restorer started (it is then stopped again).</summary>
    public async Task<Exception?> StartFailure()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        builder.AddRestorer();
        await using var app = builder.Build();

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await app.StartAsync(deadline.Token);
        }
        catch (Exception e)
        {
            return e;
        }

        using var stopDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StopAsync(stopDeadline.Token);
        return null;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public class When_the_restorer_starts
{
    [Fact]
    public async Task It_starts_with_a_host_a_role_and_pg_restore_on_the_path()
    {
        await using var restorer = new RestorerUnderTest();

        Assert.Null(await restorer.StartFailure());
    }

    [Theory]
    [InlineData("Restore:Host", "", "Restore:Host: The Host field is required.")]
    [InlineData("Restore:Host", "db;Password=x", "Restore:Host: must be a host name")]
    [InlineData("Restore:Username", "", "Restore:Username: The Username field is required.")]
    [InlineData("Restore:Port", "0", "Restore:Port")]
    [InlineData("Restore:Jobs", "0", "Restore:Jobs")]
    [InlineData("Restore:Jobs", "17", "Restore:Jobs")]
    [InlineData("Restore:ConcurrentRestores", "5", "Restore:ConcurrentRestores")]
    [InlineData("Restore:MaintenanceDatabase", "postgres host=elsewhere", "Restore:MaintenanceDatabase: must be a plain database name")]
    [InlineData("Restore:PgBinDirectory", "/nonexistent/bin", "Restore:PgBinDirectory: '/nonexistent/bin' has no pg_restore in it")]
    [InlineData("Restore:TempDirectory", "/nonexistent/tmp", "Restore:TempDirectory: '/nonexistent/tmp' does not exist")]
    [InlineData("Restore:SecretKeyFile", "/nonexistent/admin.asc", "Restore:SecretKeyFile: '/nonexistent/admin.asc' does not exist")]
    [InlineData("Restore:SecretKeyPassphrase", "a passphrase", "Restore:SecretKeyPassphrase: is set but Restore:SecretKeyFile is not")]
    [InlineData("Restore:Passphrase", "   ", "Restore:Passphrase: is only whitespace")]
    [InlineData("Restore:Passphrase", "first\nsecond", "Restore:Passphrase: contains a line break")]
    [InlineData("Restore:SslMode", "VerifyFull", "Restore:RootCertificateFile: is required with SslMode VerifyFull")]
    [InlineData("Restore:RootCertificateFile", "/etc/ssl/restore-ca.crt", "Restore:RootCertificateFile: is set but SslMode is Prefer")]
    [InlineData("Drills:SslMode", "VerifyFull", "Drills:SslMode: SslMode and RootCertificateFile apply only with Drills:Host")]
    [InlineData("Drills:Host", "db;Password=x", "Drills:Host: must be a host name")]
    [InlineData("Drills:Host", "dr-server", "Drills:Username: is required when Drills:Host is set")]
    [InlineData("Drills:RtoTarget", "00:00:00", "Drills:RtoTarget")]
    [InlineData("Drills:Every", "-01:00:00", "Drills:Every")]
    [InlineData("Drills:Sources:Demo:Every", "1.00:00:00", "Drills:Sources:Demo: not a source name")]
    [InlineData("Drills:Sources:demo:Checks:bad name", "SELECT true", "a check's name is letters, digits")]
    [InlineData("Drills:Sources:demo:Checks:empty", " ", "Drills:Sources:demo:Checks:empty: is empty")]
    [InlineData("Drills:SecretKeyFile", "/nonexistent/drill.asc", "Drills:SecretKeyFile: '/nonexistent/drill.asc' does not exist")]
    public async Task It_refuses_a_bad_setting_naming_it(string key, string value, string message)
    {
        await using var restorer = new RestorerUnderTest();
        restorer.Settings[key] = value;

        var failure = await restorer.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("first\nsecond", error.Message);
    }

    [Fact]
    public async Task It_refuses_a_root_certificate_file_that_is_not_PEM()
    {
        await using var restorer = new RestorerUnderTest();
        var file = Path.Combine(restorer.Folder, "restore-ca.crt");
        await File.WriteAllTextAsync(file, "not a certificate\n");
        restorer.Settings["Restore:SslMode"] = "VerifyFull";
        restorer.Settings["Restore:RootCertificateFile"] = file;

        var failure = await restorer.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains($"Restore:RootCertificateFile: '{file}' holds no PEM certificate", error.Message);
    }

    [Theory]
    [InlineData("not a key at all\n", "holds no OpenPGP secret key")]
    [InlineData("", "holds no OpenPGP secret key")]
    public async Task It_refuses_a_secret_key_file_that_holds_no_secret_key(string content, string message)
    {
        await using var restorer = new RestorerUnderTest();
        var file = Path.Combine(restorer.Folder, "admin.asc");
        await File.WriteAllTextAsync(file, content);
        restorer.Settings["Restore:SecretKeyFile"] = file;

        var failure = await restorer.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Restore:SecretKeyFile:", error.Message);
        Assert.True(error.Message.Contains(message, StringComparison.Ordinal), error.Message);
    }
}

public class When_the_restorer_starts_after_a_restore_was_killed
{
    [Fact]
    public async Task It_removes_the_killed_restores_temp_folder_and_keeps_a_running_ones()
    {
        await using var restorer = new RestorerUnderTest();
        var temp = Directory.CreateDirectory(Path.Combine(restorer.Folder, "tmp")).FullName;
        restorer.Settings["Restore:TempDirectory"] = temp;
        // As a killed restore leaves it (its lock file free), and one still running (this process holds its lock).
        var killed = Directory.CreateDirectory(Path.Combine(temp, $"backup-restorer-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(killed, Backup.Storage.TempFolders.PrivateTempFolder.LockFileName), "");
        await File.WriteAllTextAsync(Path.Combine(killed, "archive.dump"), "PGDMP");
        using var running = Backup.Storage.TempFolders.PrivateTempFolder.Create(temp, "backup-restorer");

        Assert.Null(await restorer.StartFailure());

        Assert.False(Directory.Exists(killed));
        Assert.Equal([running.Path], Directory.GetDirectories(temp));
    }
}
