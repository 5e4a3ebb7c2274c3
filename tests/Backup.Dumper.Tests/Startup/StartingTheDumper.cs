using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Tests.Startup;

/// <summary>
/// The whole dumper as Program.cs builds it, from in-memory settings. Options are validated when the host starts,
/// before the bus tries to reach a broker, so no broker is needed to see a bad setting stop it.
/// </summary>
sealed class DumperUnderTest : IAsyncDisposable
{
    readonly string storageRoot = Path.Combine(Path.GetTempPath(), $"backup-dumper-tests-{Guid.NewGuid():N}");

    public Dictionary<string, string?> Settings { get; }

    public DumperUnderTest()
    {
        Settings = new()
        {
            // Nothing from this machine's secret folder.
            [BackupHostDefaults.SecretsDirectoryVariable] = Path.Combine(storageRoot, "no-secrets-here"),
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Username"] = "u",
            ["RabbitMq:Password"] = "p",
            ["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=catalog;Timeout=1", // jobs: nobody answers, nothing is claimed
            ["Storage:Root"] = storageRoot,
            ["Sources:demo:Host"] = "127.0.0.1",
            ["Sources:demo:Database"] = "demo_app",
            ["Sources:demo:Username"] = "backup",
        };
    }

    /// <summary>What StartAsync threw; null when the dumper started (it is then stopped again).</summary>
    public async Task<Exception?> StartFailure()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.AddServiceDefaults();
        builder.AddDumper();
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
        if (Directory.Exists(storageRoot))
            Directory.Delete(storageRoot, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public class When_the_dumper_starts_with_a_table_name_that_is_an_option
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings["Sources:demo:IncludeTables:0"] = "-evil";

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Sources:demo:IncludeTables:0", error.Message);
        Assert.DoesNotContain("RabbitMq", error.Message);
    }
}

public class When_the_dumper_starts_without_a_broker_host
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings.Remove("RabbitMq:Host");

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("RabbitMq:Host", error.Message);
        Assert.DoesNotContain("Sources", error.Message);
    }
}

public class When_the_dumper_starts_with_the_nodes_of_a_broker_cluster
{
    [Fact]
    public async Task It_starts_with_the_nodes_alone()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings.Remove("RabbitMq:Host");
        dumper.Settings["RabbitMq:Hosts"] = "rabbit-1:5672, rabbit-2:5673,rabbit-3";

        Assert.Null(await dumper.StartFailure());
    }

    [Theory]
    [InlineData("rabbit-1:5672,,rabbit-3:5672", "'' is not a node")]
    [InlineData("rabbit-1:5672,rabbit-2:http", "'rabbit-2:http' is not a node")]
    [InlineData("rabbit-1:0", "'rabbit-1:0' is not a node")]
    [InlineData("amqp://rabbit-1:5672", "'amqp://rabbit-1:5672' is not a node")]
    [InlineData("rabbit-1:5672,rabbit-1:5672", "the node 'rabbit-1:5672' is named twice")]
    public async Task It_refuses_a_list_that_is_not_nodes_naming_the_setting_and_the_entry(string hosts, string problem)
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings["RabbitMq:Hosts"] = hosts;

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains($"RabbitMq:Hosts: {problem}", error.Message);
    }
}

public class When_the_dumper_starts_with_an_invalid_source_name
{
    [Fact]
    public async Task It_fails_to_start_naming_the_source()
    {
        await using var dumper = new DumperUnderTest();
        // Configuration keys are case-insensitive: "Sources:Billing" is a second source next to "demo".
        dumper.Settings["Sources:Billing:Host"] = "127.0.0.1";
        dumper.Settings["Sources:Billing:Database"] = "billing";
        dumper.Settings["Sources:Billing:Username"] = "backup";

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Sources:Billing: ", error.Message);
    }
}

public class When_the_dumper_starts_with_job_settings_that_would_hand_live_dumps_over
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings["Jobs:HeartbeatInterval"] = "00:00:10";
        dumper.Settings["Jobs:StaleAfter"] = "00:00:20";

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Jobs:StaleAfter: must be at least three times HeartbeatInterval", error.Message);
    }
}

public class When_the_dumper_starts_with_a_catalog_outage_ride_out_past_the_consumer_timeout
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings["CatalogOutage:RideOut"] = "00:30:00";

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("CatalogOutage:RideOut: must be between 1 and 25 minutes", error.Message);
    }
}

public class When_the_dumper_starts_without_a_catalog_database
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings.Remove("ConnectionStrings:Catalog");

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("ConnectionStrings:Catalog", error.Message);
    }
}

public class When_the_dumper_starts_with_a_temp_directory_that_does_not_exist
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        await using var dumper = new DumperUnderTest();
        dumper.Settings["Dumper:TempDirectory"] = "/nonexistent/backup-tmp";

        var failure = await dumper.StartFailure();

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Dumper:TempDirectory: '/nonexistent/backup-tmp' does not exist", error.Message);
    }
}
