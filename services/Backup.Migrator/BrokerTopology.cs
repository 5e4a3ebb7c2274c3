using Backup.Catalog;
using Backup.Dumper;
using Backup.Notifier;
using Backup.Restorer;
using Backup.Retention;
using Backup.ServiceDefaults;
using Backup.ServiceDefaults.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Migrator;

/// <summary>
/// The broker's half of the migrator's step: every service's receive endpoint declared before any service starts, so
/// nothing is ever published into an exchange that no queue is bound to yet (a BackupRequested of the API or the
/// scheduler, published before the dumper ever ran, would be acknowledged by the broker and dropped). Registered from
/// each service's own consumer list (<c>AddDumperConsumers</c>, …), so the names, queue arguments and bindings are
/// the ones the services declare at their start, never a second list that could drift.
/// </summary>
public static class BrokerTopology
{
    /// <summary>Every consumer of the system, by the service that runs it.</summary>
    public static void AddEveryServiceConsumer(IBusRegistrationConfigurator bus)
    {
        bus.AddCatalogConsumers();
        bus.AddDumperConsumers();
        bus.AddNotifierConsumers();
        bus.AddRestorerConsumers();
        bus.AddRetentionConsumers();
    }

    /// <summary>
    /// Every consumer of the system, and the name of each endpoint's queue recorded in <paramref name="queues"/> as the
    /// bus configures it (<see cref="ClassicQueueUpgrade"/> needs them).
    /// </summary>
    public static void AddEveryServiceConsumer(IBusRegistrationConfigurator bus, EndpointQueues queues)
    {
        AddEveryServiceConsumer(bus);
        bus.AddConfigureEndpointsCallback((_, queue, _) => queues.Add(queue));
    }

    /// <summary>
    /// Declares the exchanges, queues and bindings on the broker and says so, converting the classic queues of an older
    /// installation into quorum queues around it (<see cref="ClassicQueueUpgrade"/>); throws (exit non-zero) when it cannot.
    /// </summary>
    public static async Task DeclareBrokerTopologyAsync(this IHost host)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        host.Services.GetRequiredService<IBusControl>(); // configures every endpoint: their queues' names are known from here
        var queues = host.Services.GetRequiredService<EndpointQueues>().WithTheirEndQueues();
        await using var upgrade = new ClassicQueueUpgrade(host.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value,
            host.Services.GetRequiredService<ILogger<ClassicQueueUpgrade>>());
        await upgrade.MoveAsideAsync(queues, deadline.Token);
        await host.DeployBackupTopologyAsync(deadline.Token);
        await upgrade.MoveBackAsync(queues, deadline.Token);
        Console.WriteLine("Broker topology declared: every service's exchanges, queues (quorum queues) and bindings.");
    }
}

/// <summary>The names of the receive endpoints' queues, as the topology-only bus configures them.</summary>
public sealed class EndpointQueues
{
    readonly List<string> names = [];

    public void Add(string queue)
    {
        lock (names) names.Add(queue);
    }

    /// <summary>Each endpoint's queue, its _error queue and its _skipped queue.</summary>
    public IReadOnlyList<string> WithTheirEndQueues()
    {
        lock (names) return [.. names.SelectMany(queue => (string[])[queue, queue + QuorumQueues.ErrorSuffix, queue + "_skipped"])];
    }
}
