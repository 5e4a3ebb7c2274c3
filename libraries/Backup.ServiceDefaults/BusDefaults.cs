using Backup.ServiceDefaults.Options;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Backup.ServiceDefaults;

public static class BusDefaults
{
    /// <summary>
    /// MassTransit over RabbitMQ from the "RabbitMq" section. Messages are published to one fanout exchange per
    /// contract (for example "Backup.Contracts:BackupRequested"); each service's receive endpoints get kebab-case
    /// queues. The bus's health check is part of /health/ready.
    /// </summary>
    public static IHostApplicationBuilder AddBackupBus(this IHostApplicationBuilder builder,
        Action<IBusRegistrationConfigurator> configure)
    {
        builder.AddValidatedOptions<RabbitMqOptions>();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            bus.ConfigureHealthCheckOptions(health =>
            {
                health.Name = "bus";
                health.Tags.Add(BackupHostDefaults.ReadyTag);
            });
            configure(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(options.Host, (ushort)options.Port, options.VirtualHost, host =>
                {
                    host.Username(options.Username);
                    host.Password(options.Password);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }
}
