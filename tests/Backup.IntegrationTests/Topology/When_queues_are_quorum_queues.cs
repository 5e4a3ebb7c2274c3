using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Backup.IntegrationTests.Infrastructure;
using Backup.ServiceDefaults;
using RabbitMQ.Client;

namespace Backup.IntegrationTests.Topology;

/// <summary>
/// Every receive endpoint's queue, as the migrator declares it and as the services declare it again at their start, is
/// a quorum queue with the delivery limit and at-least-once dead-lettering to its _error queue (itself a quorum queue,
/// without a limit); a poison message (taken and never acknowledged, as by a consumer that crashes each time) is
/// dead-lettered into the _error queue once over the limit, whole, and no longer delivered.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_queues_are_quorum_queues(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly string[] Endpoints =
    [
        "dump-database", "backup-run", "backup-verification", "send-backup-email", "send-failure-alert", "post-failure-webhooks",
        "ping-healthchecks", "send-drill-alert", "post-drill-webhooks", "send-data-warning", "post-data-warning-webhooks",
        "retention-sweep", "restore-artifact", "drill-backup",
    ];

    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Fact]
    public async Task Every_endpoint_queue_is_a_quorum_queue_with_the_limit_and_dead_lettering_and_the_services_declare_it_alike()
    {
        await system.StartCatalog();
        await system.StartNotifier();

        var queues = await QueuesAsync();

        foreach (var endpoint in Endpoints)
        {
            var queue = Assert.Contains(endpoint, queues);
            Assert.Equal("quorum", queue.GetProperty("type").GetString());
            var arguments = queue.GetProperty("arguments");
            Assert.Equal(QuorumQueues.DeliveryLimit, arguments.GetProperty("x-delivery-limit").GetInt32());
            Assert.Equal($"{endpoint}_error", arguments.GetProperty("x-dead-letter-exchange").GetString());
            Assert.Equal("at-least-once", arguments.GetProperty("x-dead-letter-strategy").GetString());
            Assert.Equal("reject-publish", arguments.GetProperty("x-overflow").GetString());

            var error = Assert.Contains($"{endpoint}_error", queues);
            Assert.Equal("quorum", error.GetProperty("type").GetString());
            Assert.False(error.GetProperty("arguments").TryGetProperty("x-delivery-limit", out _), $"{endpoint}_error has no limit");
            Assert.False(error.GetProperty("arguments").TryGetProperty("x-dead-letter-exchange", out _), $"{endpoint}_error is not dead-lettered");
        }
        Assert.All(queues.Values.Where(q => q.GetProperty("durable").GetBoolean()), q => Assert.Equal("quorum", q.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task A_poison_message_lands_whole_in_the_error_queue_once_over_the_limit()
    {
        var body = Encoding.UTF8.GetBytes(
            """{"messageType":["urn:message:Backup.Contracts:BackupCompleted"],"message":{"poison":""" + $"\"{Guid.NewGuid()}\"" + "}}");
        await using var connection = await new ConnectionFactory
        {
            HostName = system.Broker.Host, Port = system.Broker.Port, VirtualHost = system.VirtualHost,
            UserName = system.Broker.Username, Password = system.Broker.Password,
        }.CreateConnectionAsync();
        await using (var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            await publisher.BasicPublishAsync("retention-sweep", "", mandatory: true, new BasicProperties { Persistent = true }, body);

        await using var reader = await connection.CreateChannelAsync();
        var deliveries = 0;
        BasicGetResult? dead = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (dead is null)
        {
            // A consumer that takes the message and dies before acknowledging it: its channel closes, the message goes back.
            await using (var crashing = await connection.CreateChannelAsync())
                if (await crashing.BasicGetAsync("retention-sweep", autoAck: false) is not null)
                {
                    deliveries++;
                    continue;
                }
            dead = await reader.BasicGetAsync("retention-sweep_error", autoAck: true);
            Assert.True(DateTime.UtcNow < deadline, $"the poison message in retention-sweep_error after {deliveries} deliveries");
            if (dead is null) await Task.Delay(50); // the message is on its way back to the queue
        }

        Assert.Equal(QuorumQueues.DeliveryLimit + 1, deliveries); // the first delivery, then one per time it came back
        Assert.Equal(body, dead!.Body.ToArray());
        var death = Assert.IsType<List<object>>(dead.BasicProperties.Headers!["x-death"]);
        Assert.Equal("delivery_limit", Encoding.UTF8.GetString((byte[])((Dictionary<string, object?>)death[0])["reason"]!));
        Assert.Equal(0, await system.Broker.QueueDepthAsync(system.VirtualHost, "retention-sweep"));
    }

    async Task<Dictionary<string, JsonElement>> QueuesAsync()
    {
        using var http = system.Broker.ManagementClient();
        var queues = await http.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(system.VirtualHost)}");
        return queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.Clone());
    }
}
