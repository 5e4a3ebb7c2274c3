using Backup.Catalog;
using Backup.Dumper;
using Backup.Notifier;
using Backup.Restorer;
using Backup.Retention;
using Backup.ServiceDefaults;
using MassTransit;

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

    /// <summary>Declares the exchanges, queues and bindings on the broker and says so; throws (exit non-zero) when it cannot.</summary>
    public static async Task DeclareBrokerTopologyAsync(this IHost host)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await host.DeployBackupTopologyAsync(deadline.Token);
        Console.WriteLine("Broker topology declared: every service's exchanges, queues and bindings.");
    }
}
