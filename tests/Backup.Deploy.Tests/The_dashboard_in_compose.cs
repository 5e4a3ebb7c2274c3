using Backup.Deploy.Tests.Compose;
using Backup.Deploy.Tests.Docker;

namespace Backup.Deploy.Tests;

/// <summary>
/// The dashboard in the compose stack: its session keys outlive a restart on a volume the service's user can write, and
/// the development sign-in (the private development key in the API) comes only with the override file that says so.
/// </summary>
public sealed class The_dashboard_in_compose
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly ComposeFile DevSignIn = ComposeFile.Load(Repository.PathOf("deploy/compose/dev-signin.yml"));
    private const string DevelopmentKeyFile = "auth_dev_signing_key.pem";

    private static ComposeService Api(ComposeFile compose) => compose.Service("api") ?? throw new InvalidOperationException("no api service");

    [Fact]
    public void Keeps_its_session_keys_on_a_volume_that_the_image_gives_to_the_services_user()
    {
        var folder = Api(Compose).Environment.GetValueOrDefault("Dashboard__KeysFolder");
        Assert.False(string.IsNullOrEmpty(folder), "api: Dashboard__KeysFolder is not set (a restart would sign every administrator out)");
        var mount = Api(Compose).Volumes.SingleOrDefault(volume => volume.Target == folder);
        Assert.True(mount is { ReadOnly: false }, $"api: no writable volume at {folder}");
        Assert.Contains(mount!.Source, Compose.Volumes);

        var run = Dockerfile.Load(Repository.PathOf("deploy/docker/Service.Dockerfile")).FinalStage
            .Where(instruction => instruction.Keyword == "RUN").Select(instruction => instruction.Arguments)
            .SingleOrDefault(arguments => MadeFolders(arguments).Contains(folder));
        Assert.True(run is not null, $"Service.Dockerfile makes no {folder} (a new volume would be root's and the service couldn't write it)");
        Assert.Contains("chown -R \"${APP_UID}:${APP_UID}\" /var/lib/backup", run);
        Assert.StartsWith("/var/lib/backup/", folder);
    }

    // The folders of a RUN's "mkdir -p A B C && ..." (none without one).
    private static string[] MadeFolders(string run) =>
        run.Split("&&")[0].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is ["mkdir", "-p", .. var folders] ? folders : [];

    [Fact]
    public void Gives_the_api_the_development_key_only_with_the_override_file()
    {
        var api = Api(Compose);
        Assert.False(api.Environment.ContainsKey("Dashboard__DevelopmentSigningKeyFile"), "docker-compose.yml turns the development sign-in on by itself");
        var keySecrets = Compose.Secrets.Where(secret => Values.Text(secret.Value.GetValueOrDefault("file"))?.EndsWith(DevelopmentKeyFile, StringComparison.Ordinal) == true)
            .Select(secret => secret.Key).ToHashSet();
        Assert.DoesNotContain(api.Secrets, mount => keySecrets.Contains(mount.Source));

        var overridden = Api(DevSignIn);
        var mountOfTheKey = Assert.Single(overridden.Secrets);
        var declared = DevSignIn.Secrets[mountOfTheKey.Source];
        // Paths in an override file are relative to the project's folder (the first file's), as docker-compose.yml's are.
        Assert.Equal($"./deploy/compose/secrets/{DevelopmentKeyFile}", Values.Text(declared.GetValueOrDefault("file")));
        Assert.Equal($"/run/secrets/{mountOfTheKey.Target}", overridden.Environment.GetValueOrDefault("Dashboard__DevelopmentSigningKeyFile"));
    }

    [Fact]
    public void Has_its_development_key_and_client_secret_made_by_init_secrets_for_the_apis_user()
    {
        using var made = GeneratedSecrets.Make();
        var key = Path.Combine(made.Folder, DevelopmentKeyFile);
        Assert.Contains("PRIVATE KEY", File.ReadAllText(key));
        Assert.True(File.Exists(Path.Combine(made.Folder, "dashboard_client_secret")), "init-secrets.sh made no dashboard_client_secret");
        Assert.Equal("", File.ReadAllText(Path.Combine(made.Folder, "dashboard_client_secret")));
        if (!GeneratedSecrets.RunAsRoot) return;
        var (owner, _, mode) = GeneratedSecrets.Stat(key);
        Assert.Equal(ContainerUsers.Of(Api(Compose)), owner);
        Assert.Equal(Convert.ToInt32("400", 8), mode);
    }
}
