using Backup.Storage.TempFolders;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Storage.Tests.TempFolders;

/// <summary>The sweep's rules on a real folder, with locks taken by this process and the clock moved instead of waiting.</summary>
public sealed class When_sweeping_temp_folders : IDisposable
{
    const string Owner = "backup-dumper";
    static readonly TimeSpan LeftoverAge = TimeSpan.FromHours(2);
    readonly string parent = Directory.CreateTempSubdirectory("backup-sweep-").FullName;
    readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);

    TempFolderSweepResult Sweep() => TempFolderSweep.Run(new TempFolderSweepSettings(Owner, parent, LeftoverAge), clock);

    /// <summary>A folder as a killed owner leaves it: its lock file there, nobody holding it.</summary>
    string Abandoned(string? name = null)
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, name ?? $"{Owner}-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(folder, PrivateTempFolder.LockFileName), "");
        File.WriteAllText(Path.Combine(folder, "pgpass"), "*:*:db:user:secret\n");
        return folder;
    }

    [Fact]
    public void It_removes_a_folder_whose_lock_nobody_holds()
    {
        var folder = Abandoned();

        var result = Sweep();

        Assert.Equal([Path.GetFileName(folder)], result.RemovedFolders);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void It_keeps_a_folder_whose_lock_is_held_however_old()
    {
        using var live = PrivateTempFolder.Create(parent, Owner);
        clock.Advance(TimeSpan.FromDays(30));

        var result = Sweep();

        Assert.Empty(result.RemovedFolders);
        Assert.Equal(1, result.KeptInUse);
        Assert.True(Directory.Exists(live.Path));
        Assert.False(result.LockingUnavailable);
    }

    [Fact]
    public void It_keeps_a_folder_without_a_lock_file_until_nothing_in_it_changed_for_the_leftover_age()
    {
        var folder = Directory.CreateDirectory(Path.Combine(parent, $"{Owner}-{Guid.NewGuid():N}")).FullName;
        var file = Path.Combine(folder, "archive.dump");
        File.WriteAllText(file, "data");
        var longAgo = clock.GetUtcNow().UtcDateTime - LeftoverAge - TimeSpan.FromMinutes(1);
        Directory.SetLastWriteTimeUtc(folder, longAgo);

        var whileWritten = Sweep(); // the file is still being written to: just now
        File.SetLastWriteTimeUtc(file, longAgo);
        Directory.SetLastWriteTimeUtc(folder, longAgo);
        var afterwards = Sweep();

        Assert.Equal((0, 1), (whileWritten.RemovedFolders.Count, whileWritten.KeptRecent));
        Assert.Equal([Path.GetFileName(folder)], afterwards.RemovedFolders);
        Assert.False(Directory.Exists(folder));
    }

    [Theory]
    [InlineData("backup-restorer-0123456789abcdef0123456789abcdef")] // another owner's
    [InlineData("backup-dumper-notes")] // not a name the owner makes
    [InlineData("backup-dumper-0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("backup-dumper-0123456789abcdef0123456789abcdef0")]
    public void It_leaves_folders_it_did_not_make_alone(string name)
    {
        var folder = Abandoned(name);

        var result = Sweep();

        Assert.Empty(result.RemovedFolders);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void It_does_not_follow_a_link_named_like_a_folder()
    {
        var elsewhere = Abandoned("elsewhere");
        var link = Path.Combine(parent, $"{Owner}-{Guid.NewGuid():N}");
        Directory.CreateSymbolicLink(link, elsewhere);

        var result = Sweep();

        Assert.Empty(result.RemovedFolders);
        Assert.True(File.Exists(Path.Combine(elsewhere, "pgpass")));
    }

    [Fact]
    public void A_missing_parent_is_nothing_to_sweep()
    {
        var result = TempFolderSweep.Run(new TempFolderSweepSettings(Owner, Path.Combine(parent, "missing"), LeftoverAge), clock);

        Assert.Empty(result.RemovedFolders);
    }

    public void Dispose()
    {
        Directory.Delete(parent, recursive: true);
    }
}
