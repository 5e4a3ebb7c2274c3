using Backup.Dumper.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>
/// At most Dumper:ConcurrentDumps dumps at once per instance; the queue holds the rest. A transient failure is
/// tried again after each of Dumper:RetryDelays (the consumer throws <see cref="TransientDumpException"/> while
/// delays remain, and publishes BackupFailed on the last attempt).
/// </summary>
public sealed class DumpDatabaseConsumerDefinition : ConsumerDefinition<DumpDatabaseConsumer>
{
    readonly TimeSpan[] retryDelays;

    public DumpDatabaseConsumerDefinition(IOptions<DumperOptions> options)
    {
        EndpointName = "dump-database";
        ConcurrentMessageLimit = options.Value.ConcurrentDumps;
        retryDelays = [.. options.Value.EffectiveRetryDelays];
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<DumpDatabaseConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = ConcurrentMessageLimit ?? 2;
        if (retryDelays.Length > 0)
            endpoint.UseMessageRetry(retry =>
            {
                retry.Handle<TransientDumpException>();
                retry.Intervals(retryDelays);
            });
    }
}

/// <summary>A failure worth trying again (the source refused or dropped the connection); carries the reason.</summary>
public sealed class TransientDumpException(string reason) : Exception(reason);
