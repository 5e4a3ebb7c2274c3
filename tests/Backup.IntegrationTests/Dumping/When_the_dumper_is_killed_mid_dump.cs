using System.Text.Json;
using Backup.Database;
using Backup.IntegrationTests.Infrastructure;
using Backup.Storage;
using Microsoft.Extensions.Options;

namespace Backup.IntegrationTests.Dumping;

/// <summary>
/// kill -9 of the dumper process in the middle of a dump: nothing it wrote can be taken for a backup, the next dumper
/// takes the dump job over once the dead one's claim has gone stale, and the run completes, once, with one whole artifact.
/// The killed dumper's private temp folder (its PGPASSFILE in it) is removed by the next dumper as it starts; the
/// dumpers here have a TMPDIR and Dumper:TempDirectory of their own, so nothing another test does can be taken for theirs.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class When_the_dumper_is_killed_mid_dump(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly HashSet<string> Secrets = ["RabbitMq:Password", "Sources:demo:Password", "ConnectionStrings:Catalog"];
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    readonly Guid runId = Guid.NewGuid();
    System.Collections.Concurrent.ConcurrentQueue<JsonElement> completions = null!;
    IReadOnlyList<string> partialsSeenWhenKilled = [];
    readonly string tmp = Directory.CreateTempSubdirectory("backup-killed-dumper-tmp-").FullName;
    string work = null!;
    IReadOnlyList<string> privateFoldersSeenWhenKilled = [];
    IReadOnlyList<(string Name, UnixFileMode Mode)> privateFilesSeenWhenKilled = [];
    IReadOnlyList<string> privateFoldersLeftByTheKill = [];
    IReadOnlyList<string> workLeftAfterTheRestart = [];

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure);
        // Enough data that the dump takes a while: about 150 MB of barely compressible text.
        await system.Postgres.ExecuteAsync(system.SourceDatabase, $"""
            CREATE TABLE public.documents (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.documents SELECT g, md5(g::text) || repeat(md5((g * 7)::text), 4) FROM generate_series(1, 800000) g;
            ALTER TABLE public.documents OWNER TO "{system.SourceRole}";
            """);
        await system.StartCatalog();
        rabbit = await RawRabbit.ConnectAsync(system);
        completions = await rabbit.ListenAsync("Backup.Contracts:BackupCompleted");

        var settings = system.Configuration("Backup.Dumper");
        settings["Dumper:CompressionThreads"] = "0";
        settings["Jobs:HeartbeatInterval"] = "00:00:01";
        settings["Jobs:StaleAfter"] = "00:00:05";
        work = Directory.CreateDirectory(Path.Combine(tmp, "work")).FullName;
        settings["TMPDIR"] = tmp;
        settings["Dumper:TempDirectory"] = work;
        await using (var first = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets))
        {
            await rabbit.RequestBackupAsync(runId, "demo");
            partialsSeenWhenKilled = await Eventually.Get(() => Task.FromResult<IReadOnlyList<string>?>(
                Directory.EnumerateFiles(system.StoreRoot, ".*partial-*", SearchOption.AllDirectories)
                    .Where(f => new FileInfo(f).Length > 1_000_000).ToList() is { Count: > 0 } found ? found : null),
                "the first dumper to be writing its artifact");
            privateFoldersSeenWhenKilled = Directory.GetDirectories(work);
            privateFilesSeenWhenKilled = [.. privateFoldersSeenWhenKilled.Select(f => (Path.GetFileName(f), File.GetUnixFileMode(f)))
                .Concat(privateFoldersSeenWhenKilled.SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal)).Select(f => (Path.GetFileName(f), File.GetUnixFileMode(f))))];
            first.KillHard();
        }
        privateFoldersLeftByTheKill = Directory.GetDirectories(work);

        await using var second = await ServiceProcess.StartAsync("Backup.Dumper", settings, Secrets);
        await system.WaitForStateAsync(runId, BackupRunStates.Completed, TimeSpan.FromMinutes(3));
        workLeftAfterTheRestart = Directory.GetFileSystemEntries(work);
    }

    public async Task DisposeAsync()
    {
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
        Directory.Delete(tmp, recursive: true);
    }

    [Fact]
    public void It_was_killed_while_writing()
    {
        Assert.NotEmpty(partialsSeenWhenKilled);
    }

    [Fact]
    public async Task It_completes_with_exactly_one_whole_artifact_and_its_manifest()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var key = Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
        var manifest = await store.ReadManifestAsync(key, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal(runId, manifest.RunId);
        await using var artifact = await store.OpenReadAsync(key, CancellationToken.None);
        Assert.Equal(manifest.Sha256, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(artifact)));
        Assert.Contains(manifest.Tables, t => t.Name == "documents" && t.Rows == 800_000);

        var run = await system.RunAsync(runId);
        Assert.Equal(key.Value, run!.ArtifactKey);
        Assert.Single(completions, m => m.GetProperty("runId").GetGuid() == runId);
    }

    [Fact]
    public async Task It_leaves_the_killed_write_hidden_where_only_the_leftover_cleanup_sees_it()
    {
        var store = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), TimeProvider.System);
        var leftovers = Directory.EnumerateFiles(system.StoreRoot, ".*partial-*", SearchOption.AllDirectories).ToList();
        Assert.Subset(partialsSeenWhenKilled.ToHashSet(), leftovers.ToHashSet());
        Assert.DoesNotContain(await store.ListAsync(CancellationToken.None).ToListAsync(), k => leftovers.Any(l => l.EndsWith(k.FileName, StringComparison.Ordinal)));

        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2));
        var cleaner = new FileSystemArtifactStore(Options.Create(new StorageOptions { Root = system.StoreRoot }), later);
        Assert.Equal(leftovers.Count, (await cleaner.RemoveLeftoversAsync(TimeSpan.FromDays(1), CancellationToken.None)).Count);
        Assert.Empty(Directory.EnumerateFiles(system.StoreRoot, ".*partial-*", SearchOption.AllDirectories));
        Assert.Single(await store.ListAsync(CancellationToken.None).ToListAsync());
    }

    [Fact]
    public void It_kept_the_password_file_of_the_dump_in_a_private_folder_of_its_own()
    {
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var folder = Assert.Single(privateFoldersSeenWhenKilled);
        Assert.Matches("^backup-dumper-[0-9a-f]{32}$", Path.GetFileName(folder));
        Assert.Equal([(Path.GetFileName(folder), rw | UnixFileMode.UserExecute), ("lock", rw), ("pgpass", rw)], privateFilesSeenWhenKilled);
        Assert.Empty(Directory.GetFiles(tmp, "*.pgpass"));
    }

    [Fact]
    public void The_next_dumper_removes_what_the_killed_one_left_in_its_temp_folder()
    {
        Assert.Equal(privateFoldersSeenWhenKilled, privateFoldersLeftByTheKill); // kill -9: no finally ran
        Assert.Empty(workLeftAfterTheRestart);
    }
}
