using Backup.ServiceDefaults.Options;
using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.ServiceDefaults;

public static class BusDefaults
{
    const string MassTransitCheck = "masstransit";

    /// <summary>
    /// MassTransit over RabbitMQ from the "RabbitMq" section. Messages are published to one fanout exchange per
    /// contract (for example "Backup.Contracts:BackupRequested"); each service's receive endpoints get kebab-case
    /// quorum queues (<see cref="QuorumQueues"/>: a delivery limit, dead-lettered to the endpoint's _error queue). <see cref="BusReadinessCheck"/> ("bus": connected, every endpoint running) is part of /health/ready;
    /// <see cref="EndpointFaultLog"/> logs why an endpoint faulted.
    /// </summary>
    public static IHostApplicationBuilder AddBackupBus(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configure)
    {
        builder.AddValidatedOptions<RabbitMqOptions>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.ConfigureHealthCheckOptions(health => health.Name = MassTransitCheck);
            bus.AddReceiveEndpointObserver<EndpointFaultLog>();
            bus.AddConsumeObserver<RunSpanTags>();
            bus.DeclareEndpointsAsQuorumQueues();
            configure(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                ConfigureHost(context, rabbit);
                rabbit.DeclareEndQueuesWithoutLimit();
                rabbit.ConfigureEndpoints(context);
            });
        });
        // MassTransit's own check (Degraded, still 200, for a faulted endpoint) is replaced by BusReadinessCheck.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(health =>
        {
            foreach (var check in health.Registrations.Where(check => check.Name == MassTransitCheck).ToList())
                health.Registrations.Remove(check);
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(BusReadinessCheck.Name,
            services => new BusReadinessCheck(services.GetRequiredService<IBusInstance>()), HealthStatus.Unhealthy,
            [BackupHostDefaults.ReadyTag]));
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    /// <summary>
    /// A bus that only declares the broker topology of the consumers <paramref name="configure"/> registers (every
    /// exchange, queue with its arguments, and binding, as their services' <see cref="AddBackupBus"/> declares them)
    /// and consumes nothing: <see cref="DeployBackupTopologyAsync"/> deploys it. The migrator's step, before anything publishes.
    /// </summary>
    public static IHostApplicationBuilder AddBackupTopology(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configure)
    {
        builder.AddValidatedOptions<RabbitMqOptions>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.DeclareEndpointsAsQuorumQueues();
            configure(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                ConfigureHost(context, rabbit);
                rabbit.DeclareEndQueuesWithoutLimit();
                rabbit.DeployTopologyOnly = true;
                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>How long the topology-only bus may take to stop once its topology is declared.</summary>
    public static readonly TimeSpan TopologyBusStopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Declares the topology of <see cref="AddBackupTopology"/> on the broker and returns once it is there; throws when it
    /// cannot. The bus's start returns once every endpoint has declared its exchanges, queues and bindings; its stop
    /// is then given <see cref="TopologyBusStopTimeout"/>, because MassTransit's own DeployAsync stops without a
    /// deadline and was seen waiting forever on an endpoint that was reopening its channel as the bus stopped.
    /// </summary>
    public static async Task DeployBackupTopologyAsync(this Microsoft.Extensions.Hosting.IHost host, CancellationToken cancellationToken)
    {
        var bus = host.Services.GetRequiredService<IBusControl>();
        await bus.StartAsync(cancellationToken);
        try
        {
            await bus.StopAsync(cancellationToken).WaitAsync(TopologyBusStopTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            BrokerLog.TopologyBusDidNotStop(host.Services.GetRequiredService<ILogger<IBusControl>>(), TopologyBusStopTimeout.TotalSeconds);
        }
    }

    static void ConfigureHost(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator rabbit)
    {
        var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        var primary = options.PrimaryNode;
        rabbit.Host(primary.Host, (ushort)primary.Port, options.VirtualHost, host =>
        {
            host.Username(options.Username);
            host.Password(options.Password);
            if (options.UseTls) UseVerifiedTls(host, options, context.GetRequiredService<ILogger<BrokerCertificateAuthority>>());
            if (!string.IsNullOrWhiteSpace(options.Hosts)) UseClusterNodes(host, options.Nodes);
        });
    }

    /// <summary>
    /// RabbitMq:Hosts: each connection goes to the next node in turn (MassTransit's SequentialEndpointResolver), so
    /// when the node a service was connected to stops, its reconnection lands on another node of the cluster.
    /// </summary>
    static void UseClusterNodes(IRabbitMqHostConfigurator host, IReadOnlyList<BrokerNode> nodes) =>
        host.UseCluster(cluster =>
        {
            foreach (var node in nodes) cluster.Node(node.ToString());
        });

    /// <summary>TLS whose server certificate must chain to RabbitMq:CaFile and carry the host's (or RabbitMq:ServerName's) name.</summary>
    static void UseVerifiedTls(IRabbitMqHostConfigurator host, RabbitMqOptions options, ILogger logger)
    {
        var authority = BrokerCertificateAuthority.Load(options.CaFile!);
        host.UseSsl(ssl =>
        {
            ssl.ServerName = BrokerCertificateAuthority.ServerNameOf(options);
            ssl.Protocol = BrokerCertificateAuthority.Protocols;
            ssl.CertificateValidationCallback = authority.Validator(refusal =>
                BrokerLog.CertificateRefused(logger, options.PrimaryNode.Host, options.PrimaryNode.Port, refusal));
        });
    }
}

static partial class BrokerLog
{
    [LoggerMessage(9104, LogLevel.Error, "Refused the TLS connection to RabbitMQ at {Host}:{Port}: {Reason}")]
    public static partial void CertificateRefused(ILogger logger, string host, int port, string reason);

    [LoggerMessage(9105, LogLevel.Warning, "The broker topology is declared, but the topology-only bus did not stop within {Seconds} s; its connection is left to the process's exit")]
    public static partial void TopologyBusDidNotStop(ILogger logger, double seconds);
}
