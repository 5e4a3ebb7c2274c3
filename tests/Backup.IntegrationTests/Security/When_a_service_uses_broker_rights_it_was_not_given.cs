using System.Net;
using System.Text;
using Backup.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// The services' broker users (deploy/rabbitmq/permissions.tsv) on the real broker, with the plain AMQP client as a
/// compromised service would use it: only the dumper may publish BackupCompleted (the notifier's and the API's publishes
/// there close the channel with 403 ACCESS_REFUSED), a service can't read another's queue, and no service user may use
/// the management API (no tags: 401).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_service_uses_broker_rights_it_was_not_given(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string BackupCompleted = "Backup.Contracts:BackupCompleted";
    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync() => await system.DisposeAsync();

    [Theory]
    [InlineData("backup-notifier")]
    [InlineData("backup-api")]
    [InlineData("backup-catalog")]
    public async Task Publishing_BackupCompleted_as_another_service_than_the_dumper_is_refused(string user)
    {
        await using var connection = await ConnectAsAsync(user);
        await using var channel = await connection.CreateChannelAsync();

        try { await PublishAsync(channel, BackupCompleted); }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException) { }

        await Eventually.True(() => Task.FromResult(channel.CloseReason is not null), $"the broker to close {user}'s channel");
        Assert.Equal(403, channel.CloseReason!.ReplyCode);
        Assert.Contains("ACCESS_REFUSED", channel.CloseReason.ReplyText);
        Assert.Contains(BackupCompleted, channel.CloseReason.ReplyText);
    }

    [Fact]
    public async Task Publishing_BackupCompleted_as_the_dumper_is_confirmed()
    {
        await using var connection = await ConnectAsAsync("backup-dumper");
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));

        await PublishAsync(channel, BackupCompleted); // throws unless the broker confirms it

        Assert.True(channel.IsOpen);
    }

    [Theory]
    [InlineData("backup-notifier", "dump-database")]
    [InlineData("backup-retention", "send-backup-email")]
    [InlineData("backup-api", "backup-run")]
    public async Task Consuming_another_services_queue_is_refused(string user, string queue)
    {
        await using var connection = await ConnectAsAsync(user);
        await using var channel = await connection.CreateChannelAsync();

        var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
            channel.BasicConsumeAsync(queue, autoAck: false, new AsyncEventingBasicConsumer(channel)));

        Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
        Assert.Contains($"queue '{queue}'", refused.ShutdownReason.ReplyText);
    }

    [Fact]
    public async Task No_service_user_may_use_the_management_API()
    {
        foreach (var permission in BrokerPermission.All)
        {
            using var http = ServiceBrokerUsers.ManagementClientAs(system.Broker, permission.User);
            var response = await http.GetAsync("api/overview");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{permission.User}: {(int)response.StatusCode}");
        }
    }

    async Task<IConnection> ConnectAsAsync(string user) => await new ConnectionFactory
    {
        HostName = system.Broker.Host,
        Port = system.Broker.Port,
        UserName = user,
        Password = ServiceBrokerUsers.Password,
        VirtualHost = system.VirtualHost,
    }.CreateConnectionAsync();

    static async Task PublishAsync(IChannel channel, string exchange) =>
        await channel.BasicPublishAsync(exchange, routingKey: "", mandatory: false,
            new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString() },
            Encoding.UTF8.GetBytes("""{"messageType":["urn:message:Backup.Contracts:BackupCompleted"],"message":{}}"""));
}
