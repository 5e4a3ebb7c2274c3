using Backup.Deploy.Tests.Compose;

namespace Backup.Deploy.Tests;

/// <summary>
/// deploy/compose/rabbitmq-cluster.yml, the override that runs the stack on a three-node RabbitMQ cluster: the nodes find
/// each other by the names rabbitmq-cluster.conf lists, share the cookie init-secrets.sh makes, and every service that
/// talks to the broker is given all of them; the migrator declares the quorum queues only once all three are up.
/// </summary>
public sealed class The_rabbitmq_cluster_override
{
    private static readonly ComposeFile Compose = ComposeFile.Load(Repository.PathOf("docker-compose.yml"));
    private static readonly ComposeFile Cluster = ComposeFile.Load(Repository.PathOf("deploy/compose/rabbitmq-cluster.yml"));
    private const string CookieFile = "rabbitmq_erlang_cookie";

    private static IReadOnlyList<ComposeService> Nodes =>
        [.. Cluster.Services.Where(service => service.Image?.StartsWith("rabbitmq:", StringComparison.Ordinal) == true)];

    private static string Hostname(ComposeService node) => Values.Text(node.Definition.GetValueOrDefault("hostname"))
        ?? throw new InvalidOperationException($"{node.Name} has no hostname: its node name would change with every container");

    [Fact]
    public void Has_three_nodes_of_the_base_files_image_each_with_its_own_hostname_and_the_base_one_among_them()
    {
        Assert.Equal(3, Nodes.Count);
        Assert.Equal(Nodes.Count, Nodes.Select(Hostname).Distinct().Count());
        Assert.Contains("rabbitmq", Nodes.Select(node => node.Name));
        Assert.All(Nodes, node => Assert.Equal(Compose.Service("rabbitmq")!.Image, node.Image));
        Assert.All(Nodes, node => Assert.NotEmpty(node.HealthcheckTest));
    }

    [Fact]
    public void Lists_exactly_the_nodes_names_in_the_cluster_configuration_each_node_mounts()
    {
        var conf = Repository.ReadText("deploy/compose/rabbitmq-cluster.conf").Split('\n')
            .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2, StringSplitOptions.TrimEntries)).ToDictionary(pair => pair[0], pair => pair[1]);
        Assert.Equal("classic_config", conf["cluster_formation.peer_discovery_backend"]);
        var listed = conf.Where(pair => pair.Key.StartsWith("cluster_formation.classic_config.nodes.", StringComparison.Ordinal))
            .Select(pair => pair.Value).Order();
        Assert.Equal(Nodes.Select(node => $"rabbit@{Hostname(node)}").Order(), listed);
        foreach (var node in Nodes)
        {
            var mount = node.Volumes.SingleOrDefault(volume => volume.Source == "./deploy/compose/rabbitmq-cluster.conf");
            Assert.True(mount is { ReadOnly: true }, $"{node.Name} does not mount rabbitmq-cluster.conf read-only");
            Assert.StartsWith("/etc/rabbitmq/conf.d/", mount!.Target);
        }
    }

    [Fact]
    public void Gives_each_node_the_cookie_the_credentials_and_the_definitions_and_installs_the_cookie_for_the_rabbitmq_user_alone()
    {
        var baseSecrets = Compose.Service("rabbitmq")!.Secrets;
        foreach (var node in Nodes)
        {
            foreach (var secret in baseSecrets) Assert.Contains(secret, node.Secrets);
            var cookie = Assert.Single(node.Secrets, mount => mount.Source == CookieFile);
            Assert.Equal($"./deploy/compose/secrets/{CookieFile}", Values.Text(Cluster.Secrets[CookieFile].GetValueOrDefault("file")));
            var entrypoint = Values.List(node.Definition.GetValueOrDefault("entrypoint")).Select(Values.Text).ToList();
            var script = Assert.Single(entrypoint);
            var mounted = node.Volumes.Single(volume => volume.Target == script);
            Assert.True(mounted.ReadOnly, $"{node.Name}: its entrypoint script is writable in the container");
            var text = File.ReadAllText(Repository.PathOf(mounted.Source));
            Assert.Contains($"install -o rabbitmq -g rabbitmq -m 0400 /run/secrets/{cookie.Target} /var/lib/rabbitmq/.erlang.cookie", text);
            Assert.Contains("exec docker-entrypoint.sh \"$@\"", text);
            Assert.Equal(["rabbitmq-server"], Values.List(node.Definition.GetValueOrDefault("command")).Select(Values.Text));
            if (!OperatingSystem.IsWindows())
                Assert.True((File.GetUnixFileMode(Repository.PathOf(mounted.Source)) & UnixFileMode.UserExecute) != 0, $"{mounted.Source} is not executable");
            Assert.Contains("SETUID", node.CapAdd); // the image's entrypoint drops to the rabbitmq user
            Assert.Contains("ALL", node.CapDrop);
        }
    }

    [Fact]
    public void Gives_every_service_that_talks_to_the_broker_all_the_nodes_and_the_migrator_waits_for_all_of_them()
    {
        var expected = string.Join(',', Nodes.Select(node => $"{Hostname(node)}:5672"));
        var brokerUsers = Compose.Services.Where(service => service.Environment.ContainsKey("RabbitMq__Host")).Select(service => service.Name).ToList();
        Assert.Contains("dumper", brokerUsers);
        foreach (var name in brokerUsers)
        {
            var overridden = Cluster.Service(name);
            Assert.True(overridden is not null, $"rabbitmq-cluster.yml leaves {name} on one broker node");
            Assert.Equal(expected, overridden!.Environment.GetValueOrDefault("RabbitMq__Hosts"));
        }
        var migrator = Cluster.Service("migrator")!;
        foreach (var node in Nodes) Assert.Equal("service_healthy", migrator.DependsOn.GetValueOrDefault(node.Name));
    }

    [Fact]
    public void Has_its_cookie_made_by_init_secrets()
    {
        using var made = GeneratedSecrets.Make();
        var cookie = File.ReadAllText(Path.Combine(made.Folder, CookieFile));
        Assert.Matches("^[A-Za-z0-9]{32}$", cookie);
        if (!GeneratedSecrets.RunAsRoot) return;
        var (owner, _, mode) = GeneratedSecrets.Stat(Path.Combine(made.Folder, CookieFile));
        Assert.Equal(0, owner);
        Assert.Equal(Convert.ToInt32("400", 8), mode);
    }
}
