using System.Diagnostics;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/compose/init-secrets.sh run for real on a copy of deploy/compose in a throwaway folder, so a test sees the files a
/// user gets (names, content, owners, modes) without touching the checkout's own secrets.
/// </summary>
public sealed class GeneratedSecrets : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("init-secrets-").FullName;
    readonly string script;

    GeneratedSecrets()
    {
        var compose = Directory.CreateDirectory(Path.Combine(root, "deploy", "compose")).FullName;
        script = Path.Combine(compose, "init-secrets.sh");
        File.Copy(Repository.PathOf("deploy/compose/init-secrets.sh"), script);
        var rabbitmq = Directory.CreateDirectory(Path.Combine(root, "deploy", "rabbitmq")).FullName;
        File.Copy(Repository.PathOf("deploy/rabbitmq/permissions.tsv"), Path.Combine(rabbitmq, "permissions.tsv"));
        var postgres = Directory.CreateDirectory(Path.Combine(root, "deploy", "postgres")).FullName;
        File.Copy(Repository.PathOf("deploy/postgres/catalog-roles.tsv"), Path.Combine(postgres, "catalog-roles.tsv"));
        Folder = Path.Combine(compose, "secrets");
    }

    public string Folder { get; }

    public static bool RunAsRoot => Environment.UserName == "root";

    public static GeneratedSecrets Make()
    {
        var made = new GeneratedSecrets();
        made.RunAgain();
        return made;
    }

    public void RunAgain()
    {
        var (exit, output) = Run("bash", script);
        Assert.True(exit == 0, $"init-secrets.sh exited {exit}: {output}");
    }

    /// <summary>The file's owner uid, group gid and permission bits.</summary>
    public static (int Owner, int Group, int Mode) Stat(string file)
    {
        var (exit, output) = Run("stat", "-c", "%u %g %a", file);
        Assert.True(exit == 0, output);
        var words = output.Trim().Split(' ');
        return (int.Parse(words[0]), int.Parse(words[1]), Convert.ToInt32(words[2], 8));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    static (int Exit, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"{program} did not finish within 60 s");
        return (process.ExitCode, output.Result + errors.Result);
    }
}

/// <summary>The user (uid) each container of docker-compose.yml runs as: what a secret file's owner must match.</summary>
public static class ContainerUsers
{
    /// <summary>"app" of the .NET images (USER $APP_UID in deploy/docker/Service.Dockerfile).</summary>
    public const int App = 1654;

    public static int Of(Compose.ComposeService service) => service.Image switch
    {
        null => App,
        var image when image.StartsWith("postgres:", StringComparison.Ordinal) => 999,
        var image when image.StartsWith("rabbitmq:", StringComparison.Ordinal) => 999,
        var image when image.StartsWith("minio/", StringComparison.Ordinal) => 0,
        var image when image.StartsWith("grafana/grafana:", StringComparison.Ordinal) => 472,
        var image => throw new InvalidOperationException($"{service.Name}: which user does {image} run as? Add it here."),
    };
}
