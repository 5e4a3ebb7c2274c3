using System.Net;
using Backup.Dumper;
using Backup.IntegrationTests.Infrastructure;
using Backup.Notifier;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backup.IntegrationTests.Health;

/// <summary>
/// A service's queue already exists with other arguments (another queue type, another length limit), so the broker
/// refuses the service's declaration and that consumer endpoint never runs: the service cannot do its job, so
/// /health/ready answers 503 naming the endpoint, and the log says why (event 9102).
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_a_consumer_endpoint_faults(TestInfrastructure infrastructure) : IAsyncLifetime
{
    BackupSystem system = null!;
    RawRabbit rabbit = null!;
    WebApplication? app;

    public async Task InitializeAsync()
    {
        // The queue is declared by hand before the service, on a broker where the migrator has declared nothing yet.
        system = await BackupSystem.CreateAsync(infrastructure, runMigrator: false);
        rabbit = await RawRabbit.ConnectAsync(system);
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        await rabbit.DisposeAsync();
        await system.DisposeAsync();
    }

    // A classic queue left by an older installation, the migrator not run: the dumper declares a quorum queue.
    [Fact]
    public Task The_dumper_whose_queue_is_a_classic_queue_is_not_ready() =>
        NotReadyNamingAsync("Backup.Dumper", b => b.AddDumper(), "dump-database",
            new Dictionary<string, object?> { ["x-queue-type"] = "classic" });

    // The notifier has seven endpoints: one faulted among running ones is what MassTransit calls Degraded (200).
    [Fact]
    public Task The_notifier_with_one_queue_of_another_length_limit_is_not_ready() =>
        NotReadyNamingAsync("Backup.Notifier", b => b.AddNotifier(), "send-backup-email",
            new Dictionary<string, object?> { ["x-max-length"] = 5 });

    async Task NotReadyNamingAsync(string service, Action<IHostApplicationBuilder> add, string queue,
        Dictionary<string, object?> arguments)
    {
        await rabbit.DeclareQueueAsync(queue, arguments);
        var logs = new RecordedLogs();
        app = system.Build(service, add, services: s => s.AddSingleton<ILoggerProvider>(logs));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // At start every endpoint is "not ready" anyway; then it is faulted, with the reason of its latest attempt (the
        // broker's refusal, or the channel it closed for it), and the log has the refusal.
        Readiness? last = null;
        try
        {
            await Eventually.True(async () =>
            {
                last = await Readiness.Of(http);
                return last.Code == HttpStatusCode.ServiceUnavailable && last.Status == "Unhealthy"
                       && last.Body.Contains($"bus: Unhealthy: ", StringComparison.Ordinal)
                       && last.Body.Contains($"endpoint {queue} unhealthy: ", StringComparison.Ordinal)
                       && !last.Body.Contains($"endpoint {queue} unhealthy: not ready", StringComparison.Ordinal);
            }, $"{service}'s /health/ready to answer 503 naming {queue} as faulted");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last answer: {last}", e);
        }
        await Eventually.True(() => Task.FromResult(logs.Entries.Any(log =>
                log is { EventId: 9102, Level: LogLevel.Error } && log.Message.Contains(queue, StringComparison.Ordinal)
                && log.Message.Contains("PRECONDITION_FAILED", StringComparison.Ordinal))),
            $"an error log 9102 naming {queue} and the broker's reason");
        // Still not ready later: the endpoint keeps failing, it does not come good by itself.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Readiness.Of(http)).Code);
    }
}
