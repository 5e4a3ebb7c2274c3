using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

[Collection(DemoSourceCollection.Name)]
public sealed class When_an_artifact_is_intact(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task It_passes_verification_of_its_bytes_and_content()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"OK {key}", run.Output);
        Assert.Contains("pg_restore --list read its table of contents: data for 3 tables", run.Output);
        Assert.Equal("", run.Errors);
    }

    [Fact]
    public async Task It_passes_verification_of_the_whole_store()
    {
        var first = await store.AddAsync(source, DateTimeOffset.UtcNow.AddDays(-1));
        var second = await store.AddAsync(source, DateTimeOffset.UtcNow);

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, "--all", "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"OK {first}", run.Output);
        Assert.Contains($"OK {second}", run.Output);
        Assert.Contains("2 of 2 artifacts verified, 0 failed.", run.Output);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst/../../../x")]
    public async Task It_refuses_a_key_the_service_did_not_make(string key)
    {
        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("is not an artifact key", run.Errors);
    }

    public void Dispose() => store.Dispose();
}
