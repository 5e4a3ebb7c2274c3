using Backup.Ctl.Tests.Infrastructure;

namespace Backup.Ctl.Tests;

/// <summary>
/// backupctl retention over a bare store folder: 12 daily backups and one without its manifest. It says keep or
/// DELETE with the reason for each complete backup, skips the incomplete one, deletes nothing, and refuses to run
/// without --dry-run or with rules it can't read.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_previewing_retention(DemoSource source) : IDisposable
{
    static readonly DateTimeOffset Now = new(2026, 11, 24, 3, 0, 0, TimeSpan.Zero);
    readonly TestStore store = new();

    [Fact]
    public async Task It_lists_what_the_policy_would_delete_and_why_and_deletes_nothing()
    {
        // Daily at 02:00, from 2026-11-24 back to 2026-11-13 (Friday, ISO week 46).
        var keys = new List<Backup.Storage.ArtifactKey>();
        for (var age = 0; age < 12; age++)
            keys.Add(await store.AddAsync(source, Now.Date.AddHours(2).AddDays(-age)));
        var incomplete = await store.AddAsync(source, Now.AddDays(-20));
        File.Delete(store.ManifestPathOf(incomplete));
        var files = Directory.GetFiles(store.Root, "*", SearchOption.AllDirectories).Order().ToList();

        var run = await Backupctl.RunAsync("retention", "--store", store.Root, "--dry-run", "--max-age", "3d", "--keep-last", "2",
            "--keep-weekly", "2", "--now", "2026-11-24T03:00:00Z");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n');
        string LineOf(Backup.Storage.ArtifactKey key) => lines.Single(line => line.Contains(key.Value, StringComparison.Ordinal));
        // 3 days: 24th, 23rd, 22nd (the 21st at 02:00 is older than 21st 03:00). Weekly 2: W48 (24th), W47 (Sunday 22nd).
        Assert.StartsWith("keep", LineOf(keys[0]));
        Assert.EndsWith("floor: one of the newest 2 good backups of demo", LineOf(keys[0]));
        Assert.EndsWith("age: completed 2026-11-22T02:00:03Z, within 3 days", LineOf(keys[2]));
        Assert.All(keys.Skip(3), key => Assert.StartsWith("DELETE", LineOf(key)));
        Assert.EndsWith("gfs: completed 2026-11-15T02:00:03Z, older than 3 days; week 2026-W46 is beyond the 2 weekly kept", LineOf(keys[9]));
        Assert.EndsWith("gfs: completed 2026-11-21T02:00:03Z, older than 3 days; not the newest of week 2026-W47", LineOf(keys[3]));
        Assert.StartsWith("skip", LineOf(incomplete));
        Assert.Contains("3 kept, 9 would be deleted, 1 not complete", run.Output);
        // The store holds no drill results: it says it counts every complete backup as good, and why.
        Assert.Contains("Restore drills are not seen here: their results are in the catalog, not in the store, so every complete backup counts as good.",
            run.Output);
        Assert.Equal(files, Directory.GetFiles(store.Root, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task It_refuses_without_dry_run_and_names_a_bad_rule()
    {
        await store.AddAsync(source, Now.AddDays(-40));

        var withoutDryRun = await Backupctl.RunAsync("retention", "--store", store.Root);
        var badAge = await Backupctl.RunAsync("retention", "--store", store.Root, "--dry-run", "--max-age", "a month");
        var badZone = await Backupctl.RunAsync("retention", "--store", store.Root, "--dry-run", "--time-zone", "Mars/Olympus");

        Assert.Equal(1, withoutDryRun.ExitCode);
        Assert.Contains("add --dry-run", withoutDryRun.Errors);
        Assert.Equal(1, badAge.ExitCode);
        Assert.Contains("--max-age 'a month' is not a positive duration", badAge.Errors);
        Assert.Equal(1, badZone.ExitCode);
        Assert.Contains("--time-zone 'Mars/Olympus'", badZone.Errors);
        Assert.Single(Directory.GetFiles(store.Root, "*.dump.zst", SearchOption.AllDirectories));
    }

    public void Dispose() => store.Dispose();
}
