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

    /// <summary>
    /// Every service logs in to RabbitMQ as its own user of deploy/rabbitmq/permissions.tsv, with a password no other
    /// service gets; the definitions RabbitMQ loads hold exactly those users (and the administrator, whose password no
    /// container gets), each with the permissions of the file and a password hash of its own password.
    /// </summary>
    [Fact]
    public void Give_each_service_its_own_broker_user_with_the_permissions_of_the_one_list()
    {
        using var made = GeneratedSecrets.Make();
        var permissions = File.ReadAllLines(Repository.PathOf("deploy/rabbitmq/permissions.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .ToDictionary(columns => columns[0], columns => columns[1..]);
        using var definitions = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(made.Folder, "rabbitmq-definitions.json")));
        var users = definitions.RootElement.GetProperty("users").EnumerateArray().ToDictionary(user => user.GetProperty("name").GetString()!);
        Assert.Equal(permissions.Keys.Append("backup-admin").Order(), users.Keys.Order());
        Assert.Equal(["administrator"], users["backup-admin"].GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));

        foreach (var service in ComposeRules.BusServices(Compose))
        {
            var user = service.Environment["RabbitMq__Username"];
            Assert.Equal($"backup-{service.Name}", user);
            Assert.True(permissions.ContainsKey(user!), $"{user} is not in deploy/rabbitmq/permissions.tsv");
            Assert.Empty(users[user!].GetProperty("tags").EnumerateArray());
            var password = Assert.Single(service.Secrets, secret => secret.Target == "RabbitMq__Password").Source;
            Assert.Equal($"rabbitmq_{service.Name}_password", password);
            Assert.Equal([service.Name], Compose.Services.Where(other => other.Secrets.Any(secret => secret.Source == password)).Select(other => other.Name));
            var stored = Convert.FromBase64String(users[user!].GetProperty("password_hash").GetString()!);
            var salted = stored[..4].Concat(System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(Path.Combine(made.Folder, password)))).ToArray();
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(salted), stored[4..]);
        }
        foreach (var grant in definitions.RootElement.GetProperty("permissions").EnumerateArray().Where(grant => grant.GetProperty("user").GetString() != "backup-admin"))
        {
            var expected = permissions[grant.GetProperty("user").GetString()!];
            Assert.Equal(expected, new[] { "configure", "write", "read" }.Select(kind => grant.GetProperty(kind).GetString()));
        }
        var rabbitmq = Compose.Service("rabbitmq")!;
        Assert.Contains(new SecretMount("rabbitmq_definitions", "/etc/rabbitmq/definitions.json"), rabbitmq.Secrets);
        Assert.Contains("load_definitions = /etc/rabbitmq/definitions.json", File.ReadAllText(Path.Combine(made.Folder, "rabbitmq.conf")), StringComparison.Ordinal);
    }

    /// <summary>
    /// Each service logs in to the catalog as its own role, which the migrator grants its tables and postgres-init creates;
    /// only the migrator logs in as the schema's owner. The services and their roles are those of
    /// deploy/postgres/catalog-roles.tsv (the one list: postgres-init reads it too, <see cref="The_postgres_init_scripts"/>).
    /// </summary>
    [Fact]
    public void Give_each_service_its_own_catalog_role_and_the_schema_owner_to_the_migrator_alone()
    {
        using var made = GeneratedSecrets.Make();
        var listed = CatalogRoles.Rows.ToDictionary(row => row.Service, row => row.Role);
        var services = listed.Keys.ToList();
        var migrator = Compose.Service("migrator")!;
        var granted = migrator.Environment.Where(entry => entry.Key.StartsWith("Migrator__ServiceRoles__", StringComparison.Ordinal))
            .ToDictionary(entry => entry.Key["Migrator__ServiceRoles__".Length..], entry => entry.Value!);
        Assert.Equal(services.Order(), granted.Keys.Order());

        string RoleOf(ComposeService service)
        {
            var source = Assert.Single(service.Secrets, secret => secret.Target == "ConnectionStrings__Catalog").Source;
            var file = Values.Text(Compose.Secrets[source].GetValueOrDefault("file"))!;
            return Regex.Match(File.ReadAllText(Path.Combine(made.Folder, Path.GetFileName(file))), "Username=([^;]+)").Groups[1].Value;
        }

        Assert.Equal("backup_catalog", RoleOf(migrator));
        var users = ComposeRules.BusServices(Compose).Where(service => service.Name != "migrator" && service.Secrets.Any(secret => secret.Target == "ConnectionStrings__Catalog")).ToList();
        Assert.Equal(services.Select(service => service.ToLowerInvariant()).Order(), users.Select(service => service.Name).Order());
        foreach (var service in users)
        {
            var role = RoleOf(service);
            var listedService = services.Single(name => name.Equals(service.Name, StringComparison.OrdinalIgnoreCase));
            Assert.Equal(listed[listedService], role);
            Assert.Equal(granted[listedService], role);
            Assert.NotEqual("backup_catalog", role);
            Assert.NotEqual("backup_restorer", role); // the restore server's login stays out of the catalog
        }
        Assert.Equal(users.Count, users.Select(RoleOf).Distinct().Count());
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
