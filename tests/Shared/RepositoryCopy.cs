using System.Diagnostics;

namespace Backup.Tests.Shared;

/// <summary>
/// What a clean clone of the repository holds, copied where a test can build from it, and the programs a test runs
/// there (dotnet, git, bash) run to their end. Linked into the test projects that build from a copy
/// (Backup.Ctl.Tests, Backup.Deploy.Tests), so that none of them touches the test run's own build output.
/// </summary>
public static class RepositoryCopy
{
    /// <summary>The repository's tracked files (as a clean clone, or an image's build context, holds them) copied under <paramref name="target"/>.</summary>
    public static async Task CopyTrackedFilesAsync(string repositoryRoot, string target)
    {
        var files = (await RunAsync(repositoryRoot, "git", "ls-files", "-z")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            var source = Path.Combine(repositoryRoot, file);
            if (!File.Exists(source)) continue; // deleted in the working tree
            var destination = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination, overwrite: true);
        }
    }

    /// <summary>
    /// Runs <paramref name="program"/> in <paramref name="folder"/> and returns what it printed; it fails naming the
    /// command and showing both its outputs when it exits non-zero, and kills it after 10 minutes.
    /// </summary>
    public static async Task<string> RunAsync(string folder, string program, params string[] arguments)
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
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} in {folder} ran longer than 10 minutes.");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} in {folder} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }
}
