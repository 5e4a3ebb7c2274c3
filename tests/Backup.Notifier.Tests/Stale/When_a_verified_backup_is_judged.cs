using Backup.Catalog.Data.Scheduling;
using Cronos;

namespace Backup.Notifier.Tests.Stale;

/// <summary>How old a drilled source's newest verified backup may be: the longer of the schedule's interval and the drill interval, plus the grace.</summary>
public sealed class When_a_verified_backup_is_judged
{
    static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    static readonly TimeSpan Grace = TimeSpan.FromHours(2);

    [Fact]
    public void A_daily_source_drilled_every_backup_may_go_26_hours()
    {
        var daily = CronExpression.Parse("0 2 * * *");
        Assert.Equal(TimeSpan.FromHours(26), Staleness.VerifiedAllowance(daily, TimeZoneInfo.Utc, TimeSpan.Zero, Now, Grace));
    }

    [Fact]
    public void An_hourly_source_drilled_once_a_day_may_go_a_day_plus_grace()
    {
        var hourly = CronExpression.Parse("0 * * * *");
        Assert.Equal(TimeSpan.FromHours(3), Staleness.Allowance(hourly, TimeZoneInfo.Utc, Now, Grace));
        Assert.Equal(TimeSpan.FromHours(26), Staleness.VerifiedAllowance(hourly, TimeZoneInfo.Utc, TimeSpan.FromDays(1), Now, Grace));
    }
}
