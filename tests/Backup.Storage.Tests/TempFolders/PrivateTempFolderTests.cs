using Backup.Storage.TempFolders;

namespace Backup.Storage.Tests.TempFolders;

public sealed class PrivateTempFolderTests : IDisposable
{
    readonly string parent = Directory.CreateTempSubdirectory("backup-private-").FullName;

    [Fact]
    public async Task It_is_0700_its_files_0600_its_lock_held_and_it_is_gone_when_disposed()
    {
        string path;
        using (var folder = PrivateTempFolder.Create(parent, "backup-dumper"))
        {
            path = folder.Path;
            Assert.Equal(parent, Path.GetDirectoryName(path));
            Assert.Matches("^backup-dumper-[0-9a-f]{32}$", Path.GetFileName(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            var file = await folder.WriteFileAsync("pgpass", "*:*:db:user:secret\n"u8.ToArray(), CancellationToken.None);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var locked = Assert.ThrowsAny<IOException>(() => new FileStream(Path.Combine(path, PrivateTempFolder.LockFileName),
                FileMode.Open, FileAccess.Read, FileShare.None));
            Assert.IsNotType<FileNotFoundException>(locked);
        }
        Assert.False(Directory.Exists(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public void A_missing_parent_is_refused_by_name()
    {
        var missing = Path.Combine(parent, "missing");

        var refused = Assert.Throws<DirectoryNotFoundException>(() => PrivateTempFolder.Create(missing, "backupctl"));

        Assert.Equal($"'{missing}' does not exist.", refused.Message);
    }

    public void Dispose() => Directory.Delete(parent, recursive: true);
}
