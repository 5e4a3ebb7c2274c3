using System.Globalization;
using Backup.Scheduler.Scheduling;

namespace Backup.Scheduler.Tests.Scheduling;

public class When_a_scheduled_run_id_is_derived
{
    static readonly DateTimeOffset TwoInBerlin = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    [Fact]
    public void It_is_the_same_for_the_same_source_and_occurrence()
    {
        Assert.Equal(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("demo", TwoInBerlin));
    }

    [Fact]
    public void It_differs_for_another_source()
    {
        Assert.NotEqual(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("billing", TwoInBerlin));
    }

    [Fact]
    public void It_differs_for_another_occurrence()
    {
        Assert.NotEqual(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("demo", TwoInBerlin.AddDays(1)));
        Assert.NotEqual(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("demo", TwoInBerlin.AddSeconds(1)));
    }

    [Fact]
    public void It_is_the_same_for_the_same_instant_written_with_another_offset()
    {
        var berlin = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.FromHours(1));
        var newYork = new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.FromHours(-5));

        Assert.Equal(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("demo", berlin));
        Assert.Equal(ScheduledRunIds.For("demo", TwoInBerlin), ScheduledRunIds.For("demo", newYork));
    }

    [Fact]
    public void It_is_a_version_8_RFC_9562_uuid()
    {
        var id = ScheduledRunIds.For("demo", TwoInBerlin);

        Assert.Equal(8, id.Version);
        Assert.Equal("8", id.ToString("D")[14..15]);
        Assert.Contains(id.ToString("D")[19], "89ab");
    }
}

public class When_two_schedulers_run_with_different_cultures
{
    [Theory]
    [InlineData("th-TH")] // Thai Buddhist calendar: 2026 is 2569
    [InlineData("fi-FI")]
    [InlineData("ar-SA")] // Umm al-Qura calendar
    public void They_derive_the_same_run_id_for_the_same_occurrence(string culture)
    {
        var occurrence = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
        var original = CultureInfo.CurrentCulture;
        Guid invariant, other;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            invariant = ScheduledRunIds.For("demo", occurrence);
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
            other = ScheduledRunIds.For("demo", occurrence);
        }
        finally
        {
            CultureInfo.CurrentCulture = original;
        }

        Assert.Equal(invariant, other);
    }
}
