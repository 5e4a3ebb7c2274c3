using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// A three-node RabbitMQ cluster of a test's own (deploy/local/infra.sh cluster-up in a temporary folder: three real
/// nodes on loopback, each with its own ports and data), beside the shared single broker. <see cref="Broker"/> is node
/// 1's management API and AMQP port (where the test's own connections go), with <see cref="BrokerEndpoint.Hosts"/>
/// naming the nodes in the order <see cref="StartAsync"/> was given, so the services connect to the first of them.
/// Disposing stops every node and deletes the folder (infra.sh down), also after a failed start.
/// </summary>
public sealed class BrokerCluster : IAsyncDisposable
{
    readonly string directory;
    readonly string[] nodeNames;

    BrokerCluster(string directory, BrokerEndpoint broker, string[] nodeNames)
    {
        this.directory = directory;
        Broker = broker;
        this.nodeNames = nodeNames;
    }

    public BrokerEndpoint Broker { get; }

    /// <summary>The Erlang name of node <paramref name="node"/> (1-3), as the management API reports connections' nodes.</summary>
    public string NodeName(int node) => nodeNames[node - 1];

    /// <param name="serviceOrder">The nodes in the order the services' RabbitMq:Hosts names them (they connect to the first).</param>
    public static async Task<BrokerCluster> StartAsync(params int[] serviceOrder)
    {
        // infra.sh accepts only plain paths, and refuses a folder that exists and is not empty.
        var directory = Path.Combine(Path.GetTempPath(), $"backup-cluster-{Guid.NewGuid():N}");
        try
        {
            await InfraAsync("cluster-up", directory);
            var env = File.ReadAllLines(Path.Combine(directory, "infra.env"))
                .Select(line => line.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair[1].Trim('"'));
            var ports = env["BACKUP_RABBITMQ_CLUSTER_PORTS"].Split(' ');
            var hosts = string.Join(',', serviceOrder.Select(node => $"{env["BACKUP_RABBITMQ_HOST"]}:{ports[node - 1]}"));
            var broker = new BrokerEndpoint(env["BACKUP_RABBITMQ_HOST"], int.Parse(env["BACKUP_RABBITMQ_PORT"]),
                int.Parse(env["BACKUP_RABBITMQ_MANAGEMENT_PORT"]), env["BACKUP_RABBITMQ_USER"], env["BACKUP_RABBITMQ_PASSWORD"])
            {
                Hosts = hosts,
            };
            return new BrokerCluster(directory, broker, env["BACKUP_RABBITMQ_CLUSTER_NODENAMES"].Split(' '));
        }
        catch
        {
            await InfraAsync("down", directory);
            throw;
        }
    }

    /// <summary>Stops node <paramref name="node"/> (rabbitmqctl stop: its connections are closed, its data kept).</summary>
    public Task StopNodeAsync(int node) => InfraAsync("rabbitmq-node-stop", directory, node.ToString());

    /// <summary>The nodes the connections of <paramref name="user"/> on <paramref name="virtualHost"/> are on (management API).</summary>
    public async Task<HashSet<string>> NodesOfConnectionsAsync(string virtualHost, string user)
    {
        using var http = Broker.ManagementClient();
        var connections = await http.GetFromJsonAsync<JsonElement>("api/connections");
        return connections.EnumerateArray()
            .Where(c => c.GetProperty("vhost").GetString() == virtualHost && c.GetProperty("user").GetString() == user)
            .Select(c => c.GetProperty("node").GetString()!)
            .ToHashSet();
    }

    public async ValueTask DisposeAsync() => await InfraAsync("down", directory);

    static Task InfraAsync(string command, string directory, params string[] arguments) =>
        InfraScript.RunAsync(command, directory, arguments);
}
