using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

[Collection(DemoSourceCollection.Name)]
public sealed class When_the_target_database_name_is_not_a_plain_identifier(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Theory]
    [InlineData("x\"; DROP DATABASE postgres; --", "is not a plain identifier")]
    [InlineData("dbname=postgres host=elsewhere", "is not a plain identifier")]
    [InlineData("Restored", "is not a plain identifier")]
    [InlineData("-restored", "is not a plain identifier")]
    [InlineData("postgres", "one of the server's own databases")]
    [InlineData("template1", "one of the server's own databases")]
    public async Task It_refuses_it_before_reading_the_artifact(string target, string message)
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        store.DeleteArtifact(key); // would fail with "Missing artifact" had the name been accepted

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target, "--overwrite",
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains(message, run.Errors);
        Assert.DoesNotContain("Missing artifact", run.Errors);
    }

    public void Dispose() => store.Dispose();
}
