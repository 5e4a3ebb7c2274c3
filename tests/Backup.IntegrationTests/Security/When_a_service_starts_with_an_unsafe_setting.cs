using Backup.IntegrationTests.Infrastructure;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// Secure settings that are required stop a service at start, as its own process, rather than letting it run
/// unsafely: a dumper with Encryption:Required and no recipient key nor passphrase secret (the secret file missing)
/// would store plaintext; a notifier with an SMTP username over a connection without TLS would send its password in
/// clear. Each exits non-zero naming the setting; with the secret given, the same dumper starts.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_a_service_starts_with_an_unsafe_setting(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets =
        ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog", "Encryption:Passphrase", "Smtp:Password"];

    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public async Task A_dumper_that_must_encrypt_without_a_key_or_passphrase_exits_naming_them_and_starts_once_the_secret_is_there()
    {
        var settings = system.Configuration();
        settings["Encryption:Required"] = "true";

        var (exitCode, output) = await ServiceProcess.RunUntilExitAsync("Backup.Dumper", settings, Secrets);

        Assert.True(exitCode != 0, output);
        Assert.Contains("Encryption:Required: encryption is required but neither Encryption:RecipientKeyFiles nor Encryption:Passphrase is set", output);

        settings["Encryption:Passphrase"] = "a passphrase from its secret file";
        await using var dumper = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
        Assert.DoesNotContain(dumper.Output, line => line.Contains("a passphrase from its secret file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_notifier_with_an_smtp_username_and_no_TLS_exits_naming_AllowPlaintextAuth()
    {
        var settings = system.Configuration();
        settings["Smtp:Username"] = "backup";
        settings["Smtp:Password"] = "the mail password";

        var (exitCode, output) = await ServiceProcess.RunUntilExitAsync("Backup.Notifier", settings, Secrets);

        Assert.True(exitCode != 0, output);
        Assert.Contains("Smtp:Security: is None while Smtp:Username is set", output);
        Assert.Contains("Smtp:AllowPlaintextAuth", output);
        Assert.DoesNotContain("the mail password", output);
    }
}
