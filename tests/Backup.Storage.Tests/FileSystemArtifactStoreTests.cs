using System.Security.Cryptography;
using Backup.Storage;

namespace Backup.Storage.Tests;

/// <summary>A <see cref="FileSystemArtifactStore"/> on a fresh temporary folder, removed afterwards.</summary>
sealed class TemporaryStore : IDisposable
{
    public static readonly ArtifactKey Key =
        ArtifactKey.Create("demo", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));

    public TemporaryStore(string? rootSuffix = null)
    {
        Root = Path.Combine(Path.GetTempPath(), $"backup-store-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        Store = new FileSystemArtifactStore(Microsoft.Extensions.Options.Options.Create(
            new StorageOptions { Root = Root + rootSuffix }), TimeProvider.System);
    }

    public string Root { get; }

    public FileSystemArtifactStore Store { get; }

    /// <summary>Every file anywhere under the root, hidden ones included, as paths relative to the root.</summary>
    public string[] Files() =>
        Directory.GetFiles(Root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public async Task<ArtifactKey> WriteAsync(byte[] content)
    {
        await using var write = await Store.BeginWriteAsync(Key, CancellationToken.None);
        await write.Content.WriteAsync(content);
        await write.CommitAsync(CancellationToken.None);
        return Key;
    }

    public async Task<byte[]> ReadAsync(ArtifactKey key)
    {
        await using var stream = await Store.OpenReadAsync(key, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class When_an_artifact_is_committed
{
    [Fact]
    public async Task It_returns_the_size_and_SHA256_of_the_bytes_written_which_the_file_holds()
    {
        using var store = new TemporaryStore();
        var content = TemporaryStore.RandomBytes(3_000_017, seed: 7);
        StoredBytes committed;

        await using (var write = await store.Store.BeginWriteAsync(TemporaryStore.Key, CancellationToken.None))
        {
            await write.Content.WriteAsync(content.AsMemory(0, 1_000_000));
            write.Content.Write(content.AsSpan(1_000_000)); // OpenPGP writes synchronously
            committed = await write.CommitAsync(CancellationToken.None);
        }

        var expected = new StoredBytes(content.Length, Convert.ToHexStringLower(SHA256.HashData(content)));
        Assert.Equal(expected, committed);
        await using var stored = await store.Store.OpenReadAsync(TemporaryStore.Key, CancellationToken.None);
        Assert.Equal(expected, await StoredBytes.MeasureAsync(stored, CancellationToken.None));
    }
}

public class When_a_write_is_disposed_without_commit
{
    [Fact]
    public async Task It_leaves_no_file_anywhere_in_the_store()
    {
        using var store = new TemporaryStore();

        await using (var write = await store.Store.BeginWriteAsync(TemporaryStore.Key, CancellationToken.None))
        {
            await write.Content.WriteAsync(TemporaryStore.RandomBytes(300_000, seed: 1));
            var partial = Assert.Single(store.Files());
            Assert.StartsWith("demo/2026/11/24/.20261124T020000Z-", partial);
            Assert.Contains(".partial-", partial);
            Assert.False(await store.Store.ExistsAsync(TemporaryStore.Key, CancellationToken.None));
        }

        Assert.Empty(store.Files());
        Assert.False(await store.Store.ExistsAsync(TemporaryStore.Key, CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => store.Store.OpenReadAsync(TemporaryStore.Key, CancellationToken.None));
    }
}

public class When_a_write_is_committed
{
    [Fact]
    public async Task It_reads_back_the_same_bytes_under_its_key()
    {
        using var store = new TemporaryStore();
        var content = TemporaryStore.RandomBytes(300_000, seed: 2);

        var key = await store.WriteAsync(content);

        Assert.Equal([key.Value], store.Files());
        Assert.True(await store.Store.ExistsAsync(key, CancellationToken.None));
        Assert.Equal(content, await store.ReadAsync(key));
    }
}

public class When_a_second_write_commits_to_an_existing_key
{
    [Fact]
    public async Task It_fails_and_keeps_the_first_artifact()
    {
        using var store = new TemporaryStore();
        var first = TemporaryStore.RandomBytes(100_000, seed: 3);
        var key = await store.WriteAsync(first);

        await using (var second = await store.Store.BeginWriteAsync(key, CancellationToken.None))
        {
            await second.Content.WriteAsync(TemporaryStore.RandomBytes(50_000, seed: 4));
            var refused = await Assert.ThrowsAsync<ArtifactStoreException>(() => second.CommitAsync(CancellationToken.None));
            Assert.Contains("already exists", refused.Message);
            Assert.True(refused.Transient); // another writer's: the next attempt looks at what it left
        }

        Assert.Equal([key.Value], store.Files());
        Assert.Equal(first, await store.ReadAsync(key));
    }
}

public class When_a_second_manifest_is_written_for_an_artifact
{
    [Fact]
    public async Task It_fails_and_keeps_the_first_manifest()
    {
        using var store = new TemporaryStore();
        var key = await store.WriteAsync(TemporaryStore.RandomBytes(1_000, seed: 6));
        var manifest = new ArtifactManifest
        {
            RunId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), Source = "demo", ArtifactKey = key.Value,
            Format = "pg_dump-custom+zstd", StartedAt = DateTimeOffset.UnixEpoch, CompletedAt = DateTimeOffset.UnixEpoch,
            Database = "demo", ServerVersion = "15", PgDumpVersion = "15", Tables = [], RawSizeBytes = 1_000,
            StoredSizeBytes = 1_000, Compression = new ManifestCompression("zstd", 3), Sha256 = new string('a', 64),
        };
        await store.Store.WriteManifestAsync(manifest, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ArtifactStoreException>(() =>
            store.Store.WriteManifestAsync(manifest with { Sha256 = new string('b', 64) }, CancellationToken.None));

        Assert.Contains("never replaced", refused.Message);
        Assert.Equal(new string('a', 64), (await store.Store.ReadManifestAsync(key, CancellationToken.None))!.Sha256);
        Assert.Equal(new[] { key.Value, key.ManifestPath }.Order(StringComparer.Ordinal), store.Files());
    }
}

public class When_an_artifact_is_deleted
{
    [Fact]
    public async Task It_answers_true_then_false()
    {
        using var store = new TemporaryStore();
        var key = await store.WriteAsync(TemporaryStore.RandomBytes(1_000, seed: 5));

        Assert.True(await store.Store.DeleteAsync(key, CancellationToken.None));
        Assert.False(await store.Store.DeleteAsync(key, CancellationToken.None));
        Assert.False(await store.Store.DeleteAsync(ArtifactKey.Create("other", Guid.NewGuid(), DateTimeOffset.UnixEpoch), CancellationToken.None)); // its folder was never made
        Assert.Empty(store.Files());
        Assert.False(await store.Store.ExistsAsync(key, CancellationToken.None));
    }
}

public class When_the_store_root_is_configured_with_a_trailing_separator
{
    [Fact]
    public async Task It_stores_and_reads_artifacts_all_the_same()
    {
        using var store = new TemporaryStore(rootSuffix: Path.DirectorySeparatorChar.ToString());
        var content = TemporaryStore.RandomBytes(1_000, seed: 6);

        var key = await store.WriteAsync(content);

        Assert.Equal([key.Value], store.Files());
        Assert.Equal(content, await store.ReadAsync(key));
    }
}
