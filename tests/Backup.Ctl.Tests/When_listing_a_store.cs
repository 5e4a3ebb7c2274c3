using System.Text.Json;
using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;

namespace Backup.Ctl.Tests;

[Collection(DemoSourceCollection.Name)]
public sealed class When_listing_a_store(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    static DateTimeOffset Day(int day) => new(2026, 11, day, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task It_shows_every_artifact_newest_first_with_its_manifests_facts()
    {
        var older = await store.AddAsync(source, Day(22));
        var encrypted = await store.AddAsync(source, Day(23), encoding: ArtifactEncoding.ZstdOpenPgp);
        var newest = await store.AddAsync(source, Day(24));

        var run = await Backupctl.RunAsync("list", "--store", store.Root);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n');
        int LineOf(ArtifactKey key) => Array.FindIndex(lines, line => line.Contains(key.Value, StringComparison.Ordinal));
        Assert.True(LineOf(newest) >= 0 && LineOf(newest) < LineOf(encrypted) && LineOf(encrypted) < LineOf(older), run.ToString());

        var manifest = ReadManifest(newest);
        var row = Cells(lines[LineOf(newest)]);
        Assert.Equal(
            [newest.Value, "demo", manifest.RunId.ToString("N"), "2026-11-24 02:00:03", Sizes.Describe(manifest.StoredSizeBytes), "3", "no", manifest.Sha256[..12]],
            row);
        Assert.Equal("yes", Cells(lines[LineOf(encrypted)])[6]);
        Assert.Contains("3 artifacts: 3 complete, 0 incomplete.", run.Output);
    }

    [Fact]
    public async Task It_lists_an_artifact_without_a_manifest_as_incomplete()
    {
        var complete = await store.AddAsync(source, Day(22));
        var unfinished = await store.AddAsync(source, Day(23));
        store.DeleteManifest(unfinished);

        var run = await Backupctl.RunAsync("list", "--store", store.Root);

        Assert.True(run.ExitCode == 0, run.ToString());
        var line = run.Output.Split('\n').Single(l => l.Contains(unfinished.Value, StringComparison.Ordinal));
        Assert.Equal("incomplete (no manifest)", Cells(line)[3]);
        Assert.Contains(complete.Value, run.Output);
        Assert.Contains("2 artifacts: 1 complete, 1 incomplete.", run.Output);
    }

    [Fact]
    public async Task It_lists_a_manifest_whose_artifact_is_gone_as_missing()
    {
        var gone = await store.AddAsync(source, Day(22));
        store.DeleteArtifact(gone);

        var run = await Backupctl.RunAsync("list", "--store", store.Root);

        Assert.True(run.ExitCode == 0, run.ToString());
        var line = run.Output.Split('\n').Single(l => l.Contains(gone.Value, StringComparison.Ordinal));
        Assert.Equal("missing artifact (manifest only)", Cells(line)[3]);
    }

    [Fact]
    public async Task It_shows_only_the_source_asked_for()
    {
        var demo = await store.AddAsync(source, Day(22));
        var other = await store.AddAsync(source, Day(23), sourceName: "billing-db");

        var run = await Backupctl.RunAsync("list", "--store", store.Root, "--source", "billing-db");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(other.Value, run.Output);
        Assert.DoesNotContain(demo.Value, run.Output);
    }

    [Fact]
    public async Task It_refuses_a_folder_that_does_not_exist()
    {
        var run = await Backupctl.RunAsync("list", "--store", Path.Combine(store.Root, "no-such-folder"));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("does not exist", run.Errors);
    }

    ArtifactManifest ReadManifest(ArtifactKey key) =>
        JsonSerializer.Deserialize<ArtifactManifest>(File.ReadAllText(store.ManifestPathOf(key)), ArtifactManifest.Contract)!;

    /// <summary>The cells of one row of a Spectre.Console table.</summary>
    static string[] Cells(string line) =>
        line.Split('│', StringSplitOptions.TrimEntries)[1..^1];

    public void Dispose() => store.Dispose();
}
