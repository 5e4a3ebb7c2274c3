using Backup.Scheduler.Options;
using Backup.ServiceDefaults.Options;
using Microsoft.Extensions.Configuration;

namespace Backup.Scheduler.Tests.Options;

static class Schedules
{
    public static List<string> ProblemsOf(SourceScheduleOptions schedule, string name = "demo") =>
        ValidatedOptions.Problems(new SourceSchedulesOptions { [name] = schedule }, SourceSchedulesOptions.Section).ToList();

    public static SourceSchedulesOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new SourceSchedulesOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build()
            .GetSection(SourceSchedulesOptions.Section).Bind(options);
        return options;
    }
}

public class When_a_source_has_no_schedule_settings
{
    [Fact]
    public void It_is_backed_up_at_two_in_the_morning_UTC()
    {
        var schedule = new SourceScheduleOptions();

        Assert.Equal("0 2 * * *", schedule.Schedule);
        Assert.Equal("Etc/UTC", schedule.TimeZone);
        Assert.Equal(TimeSpan.Zero, schedule.Zone.BaseUtcOffset);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
            schedule.Cron.GetNextOccurrence(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), schedule.Zone));
        Assert.Empty(Schedules.ProblemsOf(schedule));
    }

    [Fact]
    public void It_gets_the_defaults_when_bound_next_to_the_dumpers_connection_settings()
    {
        var schedules = Schedules.Bind(new()
        {
            ["Sources:demo:Host"] = "db.internal",
            ["Sources:demo:Database"] = "demo_app",
            ["Sources:demo:Username"] = "backup",
        });

        var demo = Assert.Single(schedules);
        Assert.Equal("demo", demo.Key);
        Assert.Equal("0 2 * * *", demo.Value.Schedule);
        Assert.Equal("Etc/UTC", demo.Value.TimeZone);
        Assert.Empty(ValidatedOptions.Problems(schedules, SourceSchedulesOptions.Section));
    }
}

public class When_a_schedule_is_not_a_five_field_cron_expression
{
    [Theory]
    [InlineData("0 25 * * *")]
    [InlineData("every day")]
    [InlineData("0 0 2 * * *")]
    [InlineData("")]
    public void It_is_rejected_naming_the_schedule_key(string cron)
    {
        var problem = Assert.Single(Schedules.ProblemsOf(new SourceScheduleOptions { Schedule = cron }));

        Assert.StartsWith("Sources:demo:Schedule: ", problem);
        Assert.Contains($"'{cron}'", problem);
    }
}

public class When_a_time_zone_is_unknown
{
    [Fact]
    public void It_is_rejected_naming_the_time_zone_key()
    {
        var problem = Assert.Single(Schedules.ProblemsOf(new SourceScheduleOptions { TimeZone = "Mars/Base" }));

        Assert.StartsWith("Sources:demo:TimeZone: ", problem);
        Assert.Contains("'Mars/Base'", problem);
    }
}

public class When_both_the_schedule_and_the_zone_are_wrong
{
    [Fact]
    public void It_reports_both_from_configuration()
    {
        var schedules = Schedules.Bind(new()
        {
            ["Sources:demo:Schedule"] = "0 25 * * *",
            ["Sources:demo:TimeZone"] = "Mars/Base",
            ["Sources:billing:Schedule"] = "30 3 * * 1-5",
            ["Sources:billing:TimeZone"] = "Europe/Berlin",
        });

        var problems = ValidatedOptions.Problems(schedules, SourceSchedulesOptions.Section)
            .Select(p => p[..p.IndexOf(": ", StringComparison.Ordinal)])
            .Order(StringComparer.Ordinal);
        Assert.Equal(["Sources:demo:Schedule", "Sources:demo:TimeZone"], problems);
    }
}

public class When_a_scheduled_source_has_an_invalid_name
{
    [Theory]
    [InlineData("Demo")]
    [InlineData("../x")]
    public void It_is_reported(string name)
    {
        var problem = Assert.Single(Schedules.ProblemsOf(new SourceScheduleOptions(), name));

        Assert.StartsWith($"Sources:{name}: ", problem);
    }
}
