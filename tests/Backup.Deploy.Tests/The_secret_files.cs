using System.Text.RegularExpressions;
using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>deploy/compose/init-secrets.sh and where its output must never go.</summary>
public sealed partial class The_secret_files
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly string Generator = Repository.ReadText("deploy/compose/init-secrets.sh");

    [Fact]
    public void Are_all_made_by_init_secrets()
    {
        using var made = GeneratedSecrets.Make();
        var missing = Compose.Secrets
            .Select(secret => Path.GetFileName(Values.Text(secret.Value.GetValueOrDefault("file")) ?? secret.Key))
            .Where(file => !File.Exists(Path.Combine(made.Folder, file)))
            .Select(file => $"{file}: declared in docker-compose.yml, not made by init-secrets.sh");
        Expect.NoViolations(missing);
    }

    [Fact]
    public void Are_made_inside_a_private_folder_and_again_without_a_change()
    {
        using var made = GeneratedSecrets.Make();
        Assert.Equal(Convert.ToInt32("700", 8), GeneratedSecrets.Stat(made.Folder).Mode);
        var before = Directory.GetFiles(made.Folder).ToDictionary(file => Path.GetFileName(file), File.ReadAllText);
        made.RunAgain();
        Assert.Equal(before, Directory.GetFiles(made.Folder).ToDictionary(file => Path.GetFileName(file), File.ReadAllText));
    }

    /// <summary>
    /// Run as root (as CI runs), each secret file belongs to the user of the container(s) mounting it and nobody else can
    /// read it; run as another user, the files are 0644 inside the 0700 folder.
    /// </summary>
    [Fact]
    public void Are_readable_only_by_the_users_of_the_containers_that_mount_them()
    {
        using var made = GeneratedSecrets.Make();
        var violations = new List<string>();
        foreach (var (name, declaration) in Compose.Secrets)
        {
            var file = Path.Combine(made.Folder, Path.GetFileName(Values.Text(declaration.GetValueOrDefault("file")) ?? name));
            var readers = Compose.Services.Where(service => service.Secrets.Any(mount => mount.Source == name))
                .Select(service => (service.Name, Uid: ContainerUsers.Of(service))).ToList();
            var (owner, group, mode) = GeneratedSecrets.Stat(file);
            if (!GeneratedSecrets.RunAsRoot)
            {
                if (mode != Convert.ToInt32("644", 8)) violations.Add($"{name}: mode {Convert.ToString(mode, 8)}, not 644, when not made by root");
                continue;
            }
            if ((mode & Convert.ToInt32("007", 8)) != 0)
                violations.Add($"{name}: readable by every user (mode {Convert.ToString(mode, 8)})");
            if ((mode & Convert.ToInt32("222", 8)) != 0)
                violations.Add($"{name}: writable (mode {Convert.ToString(mode, 8)})");
            foreach (var reader in readers)
            {
                var canRead = (owner == reader.Uid && (mode & Convert.ToInt32("400", 8)) != 0) || (group == reader.Uid && (mode & Convert.ToInt32("040", 8)) != 0);
                if (!canRead) violations.Add($"{name}: {reader.Name} (uid {reader.Uid}) can't read it (owner {owner}, group {group}, mode {Convert.ToString(mode, 8)})");
            }
            var readerIds = readers.Select(reader => reader.Uid).ToHashSet();
            if (!readerIds.Contains(owner)) violations.Add($"{name}: owned by uid {owner}, which no container mounting it runs as");
            if ((mode & Convert.ToInt32("040", 8)) != 0 && !readerIds.Contains(group)) violations.Add($"{name}: readable by group {group}, which no container mounting it runs as");
        }
        Expect.NoViolations(violations);
    }

    [Fact]
    public void Give_a_connection_string_to_the_postgres_service_of_the_file()
    {
        var connection = Regex.Match(Generator, @"^Host=(?<host>[^;]+);Port=(?<port>\d+);Database=backup_catalog;Username=backup_catalog;Password=", RegexOptions.Multiline);
        Assert.True(connection.Success, "init-secrets.sh writes ConnectionStrings__Catalog for backup_catalog");
        Assert.NotNull(Compose.Service(connection.Groups["host"].Value));
    }

    [Fact]
    public void Give_rabbitmq_the_user_the_services_log_in_as()
    {
        var user = Regex.Match(Generator, @"^default_user = (?<user>\S+)$", RegexOptions.Multiline);
        Assert.True(user.Success);
        var usernames = ComposeRules.DotnetServices(Compose)
            .Select(service => service.Environment.GetValueOrDefault("RabbitMq__Username"))
            .OfType<string>()
            .Distinct();
        Assert.Equal([user.Groups["user"].Value], usernames);
    }

    [Fact]
    public void Are_ignored_by_git_and_left_out_of_the_docker_build_context()
    {
        Assert.Contains("/deploy/compose/secrets/", Repository.ReadText(".gitignore").Split('\n').Select(line => line.Trim()));
        var dockerignore = Repository.ReadText(".dockerignore").Split('\n').Select(line => line.Trim()).ToList();
        Assert.Contains("deploy/compose/secrets", dockerignore);
        Assert.Contains(".git", dockerignore);
        Assert.Contains("**/bin/", dockerignore);
        Assert.Contains("**/obj/", dockerignore);
    }

}
