using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Backup.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Backup.IntegrationTests.Topology;

/// <summary>
/// An installation from before the quorum queues: the dumper's queue and its _error and _skipped queues are classic
/// queues behind their exchanges, with messages in them. The migrator converts them: afterwards each is a quorum queue
/// holding exactly the messages it held (the same bytes), no holding queue is left, and what is published to the
/// endpoint's exchange reaches the new queue.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_the_migrator_finds_classic_queues(TestInfrastructure infrastructure) : IAsyncLifetime
{
    static readonly string[] Queues = ["dump-database", "dump-database_error", "dump-database_skipped"];

    BackupSystem system = null!;
    IConnection connection = null!;

    public async Task InitializeAsync()
    {
        system = await BackupSystem.CreateAsync(infrastructure, runMigrator: false);
        connection = await new ConnectionFactory
        {
            HostName = system.Broker.Host, Port = system.Broker.Port, VirtualHost = system.VirtualHost,
            UserName = system.Broker.Username, Password = system.Broker.Password,
        }.CreateConnectionAsync();
    }

    public async Task DisposeAsync()
    {
        await connection.DisposeAsync();
        await system.DisposeAsync();
    }

    [Fact]
    public async Task Each_becomes_a_quorum_queue_with_every_message_it_held()
    {
        var held = new Dictionary<string, List<string>>();
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            foreach (var queue in Queues)
            {
                // As MassTransit declared them before: a fanout exchange and a classic queue of the same name.
                await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync(queue, queue, "");
                held[queue] = [.. Enumerable.Range(0, 5).Select(i => $"{queue} message {i} {Guid.NewGuid()}")];
                foreach (var message in held[queue])
                    await channel.BasicPublishAsync(queue, "", mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(message));
            }

        await system.RunMigratorAsync();

        var queues = await QueuesAsync();
        foreach (var queue in Queues)
        {
            Assert.Equal("quorum", queues[queue].GetProperty("type").GetString());
            Assert.Equal(held[queue], await TakeAllAsync(queue));
        }
        Assert.DoesNotContain(queues.Keys, name => name.EndsWith("_upgrade", StringComparison.Ordinal));

        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await publisher.BasicPublishAsync("dump-database", "", mandatory: true, new BasicProperties(), "after"u8.ToArray());
        Assert.Equal(["after"], await TakeAllAsync("dump-database"));
    }

    async Task<List<string>> TakeAllAsync(string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        var taken = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message) taken.Add(Encoding.UTF8.GetString(message.Body.Span));
        return taken;
    }

    async Task<Dictionary<string, JsonElement>> QueuesAsync()
    {
        using var http = system.Broker.ManagementClient();
        var queues = await http.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(system.VirtualHost)}");
        return queues.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.Clone());
    }
}
