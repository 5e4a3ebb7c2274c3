using Backup.Ctl.Tests.Infrastructure;
using Backup.Storage;

namespace Backup.Ctl.Tests;

/// <summary>
/// Artifacts whose manifest matches their stored bytes, but whose bytes are not a good archive (a faulty writer, or a
/// manifest made to match): the content checks, not the hash, must catch them.
/// </summary>
[Collection(DemoSourceCollection.Name)]
public sealed class When_the_content_was_damaged_before_it_was_hashed(DemoSource source) : IDisposable
{
    readonly TestStore store = new();

    public static TheoryData<string, string> Damages => new()
    {
        { "corrupt zstd frame", "Corrupt zstd" },
        { "zstd stream cut short", "Truncated" },
        { "not a pg_dump archive", "Not a pg_dump archive" },
        { "archive cut short", "Wrong archive size" },
        { "table missing from the archive", "Incomplete archive" },
    };

    /// <summary>A restore reads the archive block by block and finds the cut inside a block, before it could compare sizes.</summary>
    public static TheoryData<string, string> RestoreDamages => new()
    {
        { "corrupt zstd frame", "Corrupt zstd" },
        { "zstd stream cut short", "Truncated" },
        { "not a pg_dump archive", "Not a pg_dump archive" },
        { "archive cut short", "it was cut short" },
        { "table missing from the archive", "Incomplete archive" },
    };

    async Task<ArtifactKey> AddAsync(string damage)
    {
        var compressed = TestStore.Compress(source.Archive);
        return damage switch
        {
            "corrupt zstd frame" => await store.AddStoredAsync(source, [(byte)(compressed[0] ^ 0xFF), .. compressed[1..]], DateTimeOffset.UtcNow),
            "zstd stream cut short" => await store.AddStoredAsync(source, compressed[..(compressed.Length * 2 / 3)], DateTimeOffset.UtcNow),
            "not a pg_dump archive" => await store.AddStoredAsync(source, TestStore.Compress("-- a plain SQL dump\nSELECT 1;\n"u8.ToArray()), DateTimeOffset.UtcNow),
            "archive cut short" => await store.AddStoredAsync(source, TestStore.Compress(source.Archive[..(source.Archive.Length / 2)]), DateTimeOffset.UtcNow),
            "table missing from the archive" => await store.AddAsync(source, DateTimeOffset.UtcNow,
                editManifest: manifest => manifest with { Tables = [.. manifest.Tables, new ManifestTable("billing", "payments", 10)] }),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task It_fails_verification_saying_what_is_wrong(string damage, string message)
    {
        var key = await AddAsync(damage);

        var run = await Backupctl.RunAsync("verify", "--store", store.Root, key.Value, "--pg-bin", source.Postgres.BinDirectory);

        Assert.True(run.ExitCode == ExitCodes.ArtifactFailed, run.ToString());
        Assert.Contains(message, run.Errors);
        Assert.Contains("size and SHA-256", run.Output); // the stored bytes did pass
    }

    /// <summary>
    /// Found before the database is created, or (a cut or corrupt stream, found while the data loads) with the new
    /// database dropped again: either way no database is left behind.
    /// </summary>
    [Theory]
    [MemberData(nameof(RestoreDamages))]
    public async Task It_refuses_to_restore_it_and_leaves_no_database(string damage, string message)
    {
        var key = await AddAsync(damage);
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
