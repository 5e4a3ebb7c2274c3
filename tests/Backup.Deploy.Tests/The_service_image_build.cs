using System.Diagnostics;
using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;
using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/docker/Service.Dockerfile's build, replayed without Docker (none here): its own RUN commands, run by bash in
/// folders that stand for the stages' /src, /inputs and /app, for the dumper. The restore sees only the files the
/// restore-inputs stage selects, and the publish does not restore again: so the dumper's import of
/// services/ReadyToRunWhenPublished.props, and the runtime packages ReadyToRun needs, must come through that restore.
/// </summary>
public sealed class The_service_image_build : IDisposable
{
    private static readonly Dockerfile Image = Dockerfile.Load(Repository.PathOf("deploy/docker/Service.Dockerfile"));
    private readonly string root = Directory.CreateTempSubdirectory("backup-image-build-").FullName;

    [Fact]
    public async Task Publishes_the_dumper_compiled_ahead_of_time_with_its_runtime_settings()
    {
        var context = Path.Combine(root, "context");
        var inputs = Path.Combine(root, "inputs"); // the restore-inputs stage's /inputs, then the build stage's /src
        var app = Path.Combine(root, "app");
        await CopyTrackedFilesAsync(context);
        var args = new Dictionary<string, string?> { ["SERVICE"] = "Backup.Dumper" };

        var select = Assert.Single(Image.RunCommands("restore-inputs", args));
        await BashAsync(context, select.Replace("/inputs", inputs, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(inputs, "services/Backup.Dumper/Program.cs")), "the restore inputs hold sources");

        var (restore, publish) = Assert.Single(Image.RunCommands("build", args).Chunk(2).Select(pair => (pair[0], pair[1])));
        await BashAsync(inputs, restore);
        await CopyTrackedFilesAsync(inputs); // COPY . .
        Assert.Contains("--no-restore", publish, StringComparison.Ordinal);
        await BashAsync(inputs, publish.Replace("--output /app", $"--output {app}", StringComparison.Ordinal));

        foreach (var assembly in (string[])["Backup.Dumper.dll", "Backup.Archive.dll", "ZstdSharp.dll", "Npgsql.dll"])
            Assert.True(IsReadyToRun(Path.Combine(app, assembly)), $"{assembly} was published without ReadyToRun code");
        var properties = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app, "Backup.Dumper.runtimeconfig.json")))!
            ["runtimeOptions"]!["configProperties"]!;
        Assert.Equal("false", properties["System.Runtime.TieredCompilation"]?.ToJsonString());
        Assert.Equal("true", properties["System.GC.Server"]?.ToJsonString());
    }

    /// <summary>A ReadyToRun image carries a managed native header (the precompiled code's directory) in its CLI header.</summary>
    private static bool IsReadyToRun(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }

    /// <summary>The repository's tracked files (what a clean clone, the image's build context, holds), copied under <paramref name="target"/>.</summary>
    private static async Task CopyTrackedFilesAsync(string target)
    {
        var files = (await RunAsync(Repository.Root, "git", "ls-files", "-z")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            var source = Repository.PathOf(file);
            if (!File.Exists(source)) continue; // deleted in the working tree
            var destination = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(source, destination, overwrite: true);
        }
    }

    private static Task BashAsync(string folder, string command) => RunAsync(folder, "bash", "-euc", command);

    private static async Task<string> RunAsync(string folder, string program, params string[] arguments)
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
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0,
            $"{program} {string.Join(' ', arguments)} in {folder} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
