using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

[Collection(DemoSourceCollection.Name)]
public sealed class When_the_restored_row_counts_differ_from_the_manifest(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    [Fact]
    public async Task It_shows_the_difference_and_exits_non_zero()
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow, editManifest: manifest => manifest with
        {
            Tables = [.. manifest.Tables.Select(t => t.Name == "orders" ? t with { Rows = t.Rows + 1 } : t)],
        });
        var orders = source.Tables.Single(t => t.Name == "orders").Rows;
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target,
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.RowCountsDiffer, run.ToString());
        Assert.Matches($@"│ public\.orders\s*│\s*{orders + 1} │\s*{orders} │ NO\s*│", run.Output);
        Assert.Matches(@"│ public\.customers\s*│\s*\d+ │\s*\d+ │ yes\s*│", run.Output);
        Assert.Contains("1 of 3 tables differ from the manifest's row counts", run.Errors);
    }

    public void Dispose() => store.Dispose();
}
