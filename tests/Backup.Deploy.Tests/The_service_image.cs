using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests;

/// <summary>deploy/docker/Service.Dockerfile: one recipe for every .NET service.</summary>
public sealed class The_service_image
{
    private static readonly Dockerfile Image = Dockerfile.Load(Repository.PathOf("deploy/docker/Service.Dockerfile"));

    [Fact]
    public void Builds_with_the_sdk_and_runs_on_the_aspnet_runtime()
    {
        Assert.True(Image.Stages.Count >= 2);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", Image.Stages[0][0].Arguments, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", Image.FinalStage[0].Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_as_the_images_non_root_app_user() => Assert.Equal("$APP_UID", Image.FinalUser);

    [Fact]
    public void Restores_before_it_copies_the_sources()
    {
        var build = Image.Stages.Single(stage => stage.Any(instruction => instruction.Keyword == "RUN" && instruction.Arguments.Contains("dotnet publish", StringComparison.Ordinal)));
        var restore = build.ToList().FindIndex(instruction => instruction.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        var copySources = build.ToList().FindIndex(instruction => instruction is { Keyword: "COPY", Arguments: ". ." });
        Assert.InRange(restore, 0, copySources - 1);
        Assert.Contains(build, instruction => instruction.Arguments.Contains("--no-restore", StringComparison.Ordinal));
    }

    [Fact]
    public void Gives_the_app_user_the_artifact_and_mail_folders()
    {
        var runs = string.Join('\n', Image.FinalRunCommands(new Dictionary<string, string?>()));
        Assert.Contains("/var/lib/backup/artifacts", runs, StringComparison.Ordinal);
        Assert.Contains("/var/lib/backup/mail", runs, StringComparison.Ordinal);
        Assert.Contains("chown -R \"${APP_UID}:${APP_UID}\" /var/lib/backup", runs, StringComparison.Ordinal);
    }

    [Fact]
    public void Starts_the_service_named_by_the_build_arg()
    {
        Assert.Contains(Image.FinalStage, instruction => instruction is { Keyword: "ENV" } && instruction.Arguments.Contains("BACKUP_SERVICE=${SERVICE}", StringComparison.Ordinal));
        var entrypoint = Assert.Single(Image.FinalStage, instruction => instruction.Keyword == "ENTRYPOINT");
        Assert.Contains("exec dotnet", entrypoint.Arguments, StringComparison.Ordinal);
        Assert.Contains("/app/${BACKUP_SERVICE}.dll", entrypoint.Arguments, StringComparison.Ordinal);
    }
}
