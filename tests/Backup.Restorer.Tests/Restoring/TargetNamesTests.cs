using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;

namespace Backup.Restorer.Tests.Restoring;

public class When_a_restore_names_no_target_database
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 3, 4, 5, TimeSpan.FromHours(2));

    [Theory]
    [InlineData("demo", "demo_restore_20261124010405")]
    [InlineData("billing-db", "billing_db_restore_20261124010405")]
    [InlineData("2fa", "_2fa_restore_20261124010405")]
    [InlineData("a123456789b123456789c123456789d123456789e123456789f123456789abc", "a123456789b123456789c123456789d123456789_restore_20261124010405")]
    public void It_names_one_after_the_source_and_the_UTC_time(string source, string expected)
    {
        var name = TargetNames.Default(source, At);

        Assert.Equal(expected, name);
        Assert.True(name.Length <= 63);
        Assert.Null(DatabaseNames.Problem(name, RestorerCaller.Instance));
    }
}
