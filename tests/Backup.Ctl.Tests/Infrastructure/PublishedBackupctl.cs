using Backup.Tests.Shared;

namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// backupctl as the README installs it on a recovery machine: <c>dotnet publish tools/Backup.Ctl -c Release -o DIR</c>,
/// run on a copy of the repository's tracked files (what a clean clone holds), so that it builds from nothing and
/// touches none of this test run's build output. Takes a minute or two: the native compiler runs.
/// </summary>
public sealed class PublishedBackupctl : IAsyncLifetime
{
    readonly string root = Directory.CreateTempSubdirectory("ctl-publish-").FullName;

    /// <summary>The folder the publish wrote.</summary>
    public string Folder => Path.Combine(root, "out");

    /// <summary>The program in it.</summary>
    public string Executable => Path.Combine(Folder, "backupctl");

    public async Task InitializeAsync()
    {
        var clone = Path.Combine(root, "repo");
        await RepositoryCopy.CopyTrackedFilesAsync(RepositoryRoot.Path, clone);
        await RepositoryCopy.RunAsync(clone, "dotnet", "publish", "tools/Backup.Ctl", "-c", "Release", "-o", Folder);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A published backupctl and a demo source of its own, so that the publish runs beside the other collections.</summary>
[CollectionDefinition(Name)]
public sealed class PublishedBackupctlCollection : ICollectionFixture<PublishedBackupctl>, ICollectionFixture<DemoSource>
{
    public const string Name = "backupctl published as the README installs it, and a demo source";
}
