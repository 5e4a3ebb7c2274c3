using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;

namespace Backup.Restorer.Tests.Restoring;

public class When_a_restore_names_no_target_database
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 3, 4, 5, TimeSpan.FromHours(2));

    static readonly Guid RestoreId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    [Theory]
    [InlineData("demo", "demo_restore_20261124010405_0f8fad")]
    [InlineData("billing-db", "billing_db_restore_20261124010405_0f8fad")]
    [InlineData("2fa", "_2fa_restore_20261124010405_0f8fad")]
    [InlineData("a123456789b123456789c123456789d123456789e123456789f123456789abc", "a123456789b123456789c123456789d12_restore_20261124010405_0f8fad")]
    public void It_names_one_after_the_source_the_UTC_time_and_the_restore(string source, string expected)
    {
        var name = TargetNames.Default(source, At, RestoreId);

        Assert.Equal(expected, name);
        Assert.True(name.Length <= 63);
        Assert.Null(DatabaseNames.Problem(name, RestorerCaller.Instance));
    }

    [Fact]
    public void Two_restores_of_a_source_in_the_same_second_get_different_databases()
    {
        Assert.NotEqual(TargetNames.Default("demo", At, Guid.NewGuid()), TargetNames.Default("demo", At, Guid.NewGuid()));
    }
}
