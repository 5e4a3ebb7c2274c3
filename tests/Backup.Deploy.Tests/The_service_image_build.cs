using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;
using Backup.Deploy.Tests.Docker;
using Backup.Tests.Shared;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/docker/Service.Dockerfile's build, replayed without Docker (none here): its own RUN commands, run by bash in
/// folders that stand for the stages' /src, /inputs and /app, for the dumper and for backupctl. The restore sees only the files the
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
        var app = await ReplayBuildAsync(new Dictionary<string, string?> { ["SERVICE"] = "Backup.Dumper" });

        foreach (var assembly in (string[])["Backup.Dumper.dll", "Backup.Archive.dll", "ZstdSharp.dll", "Npgsql.dll"])
            Assert.True(IsReadyToRun(Path.Combine(app, assembly)), $"{assembly} was published without ReadyToRun code");
        var properties = (await RuntimeOptionsAsync(app, "Backup.Dumper"))["configProperties"]!;
        Assert.Equal("false", properties["System.Runtime.TieredCompilation"]?.ToJsonString());
        Assert.Equal("true", properties["System.GC.Server"]?.ToJsonString());
    }

    /// <summary>
    /// backupctl publishes as a native executable on its own (below); in an image (compose's admin-keys step) it must run on the
    /// image's shared runtime as `dotnet /app/backupctl.dll`, like every service.
    /// </summary>
    [Fact]
    public async Task Publishes_backupctl_onto_the_images_shared_runtime()
    {
        var app = await ReplayBuildAsync(new Dictionary<string, string?> { ["SERVICE"] = "Backup.Ctl", ["PROJECT_FOLDER"] = "tools" });

        var options = await RuntimeOptionsAsync(app, "backupctl");
        Assert.NotNull(options["frameworks"]);
        Assert.Null(options["includedFrameworks"]);
        Assert.False(File.Exists(Path.Combine(app, "backupctl.r2r.dll")), "the image's backupctl was compiled into a composite image");
        Assert.True(IsReadyToRun(Path.Combine(app, "backupctl.dll")), "backupctl.dll was published without ReadyToRun code");
        var help = await RunAsync(app, "dotnet", Path.Combine(app, "backupctl.dll"), "keys", "generate", "--help");
        Assert.Contains("--public-key-file", help, StringComparison.Ordinal);
    }

    /// <summary>
    /// What `dotnet publish tools/Backup.Ctl` (the README's install: one native executable, When_backupctl_runs_as_published
    /// in Backup.Ctl.Tests runs it) and the image's publish (ReadyToRun on the shared runtime) decide for backupctl.
    /// </summary>
    [Theory]
    [InlineData("", "true", "true", "false")]
    [InlineData("-p:SelfContained=false", "false", "", "true")]
    public async Task Publishes_backupctl_native_unless_told_otherwise(string option, string selfContained, string native, string readyToRun)
    {
        string[] arguments = ["msbuild", "tools/Backup.Ctl/Backup.Ctl.csproj", "-p:_IsPublishing=true", "-p:Configuration=Release",
            "-getProperty:SelfContained", "-getProperty:PublishAot", "-getProperty:PublishReadyToRun"];
        if (option.Length > 0) arguments = [.. arguments, option];
        var properties = JsonNode.Parse(await RunAsync(Repository.Root, "dotnet", arguments))!["Properties"]!;
        Assert.Equal(selfContained, properties["SelfContained"]!.GetValue<string>());
        Assert.Equal(native, properties["PublishAot"]!.GetValue<string>());
        Assert.Equal(readyToRun, properties["PublishReadyToRun"]!.GetValue<string>());
    }

    /// <summary>
    /// The build stage of the image for <paramref name="args"/>, replayed: the restore-inputs selection, the restore, the
    /// sources copied, the publish; returns the folder that stands for /app.
    /// </summary>
    private async Task<string> ReplayBuildAsync(Dictionary<string, string?> args)
    {
        var context = Path.Combine(root, "context");
        var inputs = Path.Combine(root, "inputs"); // the restore-inputs stage's /inputs, then the build stage's /src
        var app = Path.Combine(root, "app");
        await CopyTrackedFilesAsync(context);

        var select = Assert.Single(Image.RunCommands("restore-inputs", args));
        await BashAsync(context, select.Replace("/inputs", inputs, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(inputs, "services/Backup.Dumper/Program.cs")), "the restore inputs hold sources");

        var (restore, publish) = Assert.Single(Image.RunCommands("build", args).Chunk(2).Select(pair => (pair[0], pair[1])));
        await BashAsync(inputs, restore);
        await CopyTrackedFilesAsync(inputs); // COPY . .
        Assert.Contains("--no-restore", publish, StringComparison.Ordinal);
        await BashAsync(inputs, publish.Replace("--output /app", $"--output {app}", StringComparison.Ordinal));
        return app;
    }

    private static async Task<JsonNode> RuntimeOptionsAsync(string app, string assemblyName) =>
        JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app, $"{assemblyName}.runtimeconfig.json")))!["runtimeOptions"]!;

    /// <summary>A ReadyToRun image carries a managed native header (the precompiled code's directory) in its CLI header.</summary>
    private static bool IsReadyToRun(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }

    private static Task CopyTrackedFilesAsync(string target) => RepositoryCopy.CopyTrackedFilesAsync(Repository.Root, target);

    private static Task BashAsync(string folder, string command) => RunAsync(folder, "bash", "-euc", command);

    private static Task<string> RunAsync(string folder, string program, params string[] arguments) =>
        RepositoryCopy.RunAsync(folder, program, arguments);

    public void Dispose() => Directory.Delete(root, recursive: true);
}
