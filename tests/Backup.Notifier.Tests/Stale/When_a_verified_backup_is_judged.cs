using Backup.Database.Scheduling;
using Cronos;

namespace Backup.Notifier.Tests.Stale;

/// <summary>How old a drilled source's newest verified backup may be: the schedule's interval plus the drill interval plus the grace.</summary>
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
    public void A_daily_source_drilled_once_a_day_may_go_two_days_plus_grace()
    {
        // Drilled at 02:05 on day 0, the 02:00 backup of day 1 is within the day and skipped; day 2's is drilled.
        var daily = CronExpression.Parse("0 2 * * *");
        Assert.Equal(TimeSpan.FromHours(50), Staleness.VerifiedAllowance(daily, TimeZoneInfo.Utc, TimeSpan.FromDays(1), Now, Grace));
        var verifiedBackup = Now.AddHours(-49);
        Assert.False(Staleness.IsUnverified(daily, TimeZoneInfo.Utc, TimeSpan.FromDays(1), verifiedBackup, Now.AddDays(-30), Now, Grace));
        Assert.True(Staleness.IsUnverified(daily, TimeZoneInfo.Utc, TimeSpan.FromDays(1), verifiedBackup, Now.AddDays(-30), Now.AddHours(2), Grace));
    }

    [Fact]
    public void With_none_verified_yet_it_counts_from_when_drills_were_turned_on()
    {
        var daily = CronExpression.Parse("0 2 * * *");
        Assert.False(Staleness.IsUnverified(daily, TimeZoneInfo.Utc, TimeSpan.Zero, null, Now.AddHours(-25), Now, Grace));
        Assert.True(Staleness.IsUnverified(daily, TimeZoneInfo.Utc, TimeSpan.Zero, null, Now.AddHours(-27), Now, Grace));
    }
}
