using Backup.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.Scheduler.Tests.Scheduling;

/// <summary>
/// The whole scheduler as Program.cs builds it. Options are validated when the host starts, before the bus tries
/// to reach a broker, so no broker is needed to see a bad setting stop it.
/// </summary>
static class SchedulerStart
{
    public static async Task<Exception?> Failure(Dictionary<string, string?> sources)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [BackupHostDefaults.SecretsDirectoryVariable] = Path.Combine(Path.GetTempPath(), $"no-secrets-{Guid.NewGuid():N}"),
            ["RabbitMq:Host"] = "127.0.0.1",
            ["RabbitMq:Username"] = "u",
            ["RabbitMq:Password"] = "p",
            ["ConnectionStrings:Catalog"] = "Host=127.0.0.1;Port=1;Database=nowhere",
        });
        builder.Configuration.AddInMemoryCollection(sources);
        builder.AddServiceDefaults();
        builder.AddScheduler();
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
}

public class When_the_scheduler_starts_with_a_schedule_that_is_not_cron
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        var failure = await SchedulerStart.Failure(new() { ["Sources:demo:Schedule"] = "0 25 * * *" });

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Sources:demo:Schedule", error.Message);
    }
}

public class When_the_scheduler_starts_with_an_unknown_time_zone
{
    [Fact]
    public async Task It_fails_to_start_naming_the_setting()
    {
        var failure = await SchedulerStart.Failure(new()
        {
            ["Sources:demo:Schedule"] = "0 2 * * *",
            ["Sources:demo:TimeZone"] = "Mars/Base",
        });

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("Sources:demo:TimeZone", error.Message);
    }
}

public class When_the_scheduler_starts_with_a_bad_scheduler_or_catalog_setting
{
    [Theory]
    [InlineData("Scheduler:ReloadInterval", "00:00:00")]
    [InlineData("Scheduler:CatchUpWindow", "8.00:00:00")]
    [InlineData("ConnectionStrings:Catalog", "")]
    public async Task It_fails_to_start_naming_the_setting(string key, string value)
    {
        var failure = await SchedulerStart.Failure(new() { [key] = value });

        var error = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(key, error.Message);
    }
}
