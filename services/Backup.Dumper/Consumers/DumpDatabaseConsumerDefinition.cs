using Backup.Dumper.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>At most Dumper:ConcurrentDumps dumps at once per instance; the queue holds the rest.</summary>
public sealed class DumpDatabaseConsumerDefinition : ConsumerDefinition<DumpDatabaseConsumer>
{
    public DumpDatabaseConsumerDefinition(IOptions<DumperOptions> options)
    {
        EndpointName = "dump-database";
        ConcurrentMessageLimit = options.Value.ConcurrentDumps;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint,
        IConsumerConfigurator<DumpDatabaseConsumer> consumer, IRegistrationContext context)
    {
        endpoint.PrefetchCount = ConcurrentMessageLimit ?? 2;
    }
}
