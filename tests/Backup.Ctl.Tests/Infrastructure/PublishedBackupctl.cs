using System.Diagnostics;

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
        var files = (await RunAsync(RepositoryRoot.Path, "git", "ls-files", "-z")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            var source = Path.Combine(RepositoryRoot.Path, file);
            if (!File.Exists(source)) continue; // deleted in the working tree
            var destination = Path.Combine(clone, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination);
        }
        await RunAsync(clone, "dotnet", "publish", "tools/Backup.Ctl", "-c", "Release", "-o", Folder);
    }

    static async Task<string> RunAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran longer than 10 minutes.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} in {folder} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
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
