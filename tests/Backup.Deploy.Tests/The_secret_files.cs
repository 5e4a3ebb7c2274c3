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
        var generated = Generated().Matches(Generator).Select(match => match.Groups["name"].Value).ToHashSet();
        var missing = Compose.Secrets
            .Select(secret => Path.GetFileName(Values.Text(secret.Value.GetValueOrDefault("file")) ?? secret.Key))
            .Where(file => !generated.Contains(file));
        Expect.NoViolations(missing);
    }

    [Fact]
    public void Are_made_readable_by_the_containers_inside_a_private_folder()
    {
        Assert.Contains("chmod 0700 \"$secrets_dir\"", Generator, StringComparison.Ordinal);
        Assert.Contains("umask 077", Generator, StringComparison.Ordinal);
        Assert.Matches(@"chmod 0644 ""\$temporary""", Generator);
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

    [GeneratedRegex(@"^(kept_password|derived)\s+(?<name>[A-Za-z0-9_.-]+)", RegexOptions.Multiline)]
    private static partial Regex Generated();
}
