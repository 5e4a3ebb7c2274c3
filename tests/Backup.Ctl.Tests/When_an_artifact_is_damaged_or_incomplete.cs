using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;

namespace Backup.Ctl.Tests;

/// <summary>What happens to stored artifacts on real disks: a flipped bit, a cut file, a deleted file.</summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_an_artifact_is_damaged_or_incomplete(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    public static TheoryData<string, string> Damages => new()
    {
        { "flipped byte", "Hash mismatch" },
        { "truncated", "was truncated" },
        { "deleted artifact", "Missing artifact" },
        { "deleted manifest", "Missing manifest" },
    };

    void Damage(ArtifactKey key, string damage)
    {
        switch (damage)
        {
            case "flipped byte": store.FlipByte(key); break;
            case "truncated": store.Truncate(key); break;
            case "deleted artifact": store.DeleteArtifact(key); break;
            case "deleted manifest": store.DeleteManifest(key); break;
            default: throw new ArgumentOutOfRangeException(nameof(damage));
        }
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task It_fails_verification_saying_what_is_wrong(string damage, string message)
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        Damage(key, damage);

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains(message, run.Errors);
        Assert.Contains(key.Value, run.Errors);
        Assert.DoesNotContain($"OK {key}", run.Output);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task It_fails_verification_of_the_whole_store_and_still_checks_the_rest(string damage, string message)
    {
        var intact = await store.AddAsync(source, DateTimeOffset.UtcNow.AddDays(-1));
        var damaged = await store.AddAsync(source, DateTimeOffset.UtcNow);
        Damage(damaged, damage);

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, "--all", "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains($"OK {intact}", run.Output);
        Assert.Contains($"FAILED {damaged}", run.Output);
        Assert.Contains(message, run.Errors);
        Assert.Contains("1 of 2 artifacts verified, 1 failed.", run.Output);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task It_refuses_to_restore_it_before_touching_a_database(string damage, string message)
    {
        var key = await store.AddAsync(source, DateTimeOffset.UtcNow);
        Damage(key, damage);
        var target = source.NewTargetName();

        var run = await Backupctl.RunAsync(
            ["restore", "--store", store.Root, key.Value, "--target-database", target,
             "--password-file", source.Postgres.WritePasswordFile(store.Workspace), .. Connection.To(source.Postgres)]);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains(message, run.Errors);
        Assert.False(await source.Postgres.DatabaseExistsAsync(target));
    }

    public void Dispose() => store.Dispose();
}
