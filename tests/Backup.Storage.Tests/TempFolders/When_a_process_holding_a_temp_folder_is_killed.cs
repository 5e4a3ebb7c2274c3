using System.Diagnostics;
using Backup.Storage.TempFolders;

namespace Backup.Storage.Tests.TempFolders;

/// <summary>
/// Real processes (Backup.TempFolderHolder, holding a real <see cref="PrivateTempFolder"/>): one is killed with SIGKILL,
/// so nothing of its own cleans up; the kernel drops its lock, and the sweep removes its folder, while the folder of a
/// process still alive stays, its lock held. A sweep in a process whose locks don't work removes nothing.
/// </summary>
public sealed class When_a_process_holding_a_temp_folder_is_killed : IDisposable
{
    const string Owner = "backup-test-holder";
    readonly string parent = Directory.CreateTempSubdirectory("backup-tempfolders-").FullName;

    [Fact]
    public async Task The_sweep_removes_its_folder_and_keeps_the_live_ones()
    {
        using var killed = await Holder.StartAsync(parent, Owner);
        using var alive = await Holder.StartAsync(parent, Owner);

        killed.Process.Kill(); // SIGKILL on Unix: no finally, no Dispose
        await killed.Process.WaitForExitAsync();
        Assert.True(File.Exists(Path.Combine(killed.Folder, "pgpass")), "the killed process left its folder behind");

        var result = TempFolderSweep.Run(new TempFolderSweepSettings(Owner, parent, TimeSpan.FromDays(1)), TimeProvider.System);

        Assert.Equal([Path.GetFileName(killed.Folder)], result.RemovedFolders);
        Assert.False(Directory.Exists(killed.Folder));
        Assert.Equal(1, result.KeptInUse);
        Assert.True(File.Exists(Path.Combine(alive.Folder, "pgpass")));
        Assert.False(result.LockingUnavailable);

        // The live one deletes its own folder when it is done.
        alive.Process.StandardInput.Close();
        await alive.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, alive.Process.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
    }

    [Fact]
    public async Task A_sweep_in_a_process_whose_file_locks_are_disabled_removes_nothing()
    {
        using var held = PrivateTempFolder.Create(parent, Owner);
        var abandoned = Directory.CreateDirectory(Path.Combine(parent, $"{Owner}-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(abandoned, PrivateTempFolder.LockFileName), "");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, ArgumentList = { HolderDll, "sweep", parent, Owner } };
        start.Environment["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1";
        using var sweep = Process.Start(start)!;
        var output = await sweep.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await sweep.WaitForExitAsync();

        Assert.Equal("removed=0 in-use=2 locking-unavailable=True", output.Trim());
        Assert.True(Directory.Exists(held.Path));
        Assert.True(Directory.Exists(abandoned));
    }

    public void Dispose() => Directory.Delete(parent, recursive: true);

    static string HolderDll => Path.Combine(AppContext.BaseDirectory, "Backup.TempFolderHolder.dll");

    sealed record Holder(Process Process, string Folder) : IDisposable
    {
        public static async Task<Holder> StartAsync(string parent, string owner)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                ArgumentList = { HolderDll, "hold", parent, owner },
            };
            var process = Process.Start(start)!;
            var folder = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.False(string.IsNullOrEmpty(folder), "the holder printed its folder");
            return new Holder(process, folder);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill();
            Process.Dispose();
        }
    }
}
