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

    // MassTransit 8.5 does not always report the broker's refusal as a fault of the endpoint. When the broker closes the
    // channel while MassTransit still uses it, the fault may carry MassTransit's own "ObjectDisposedException on channel"
    // (reply code 491) instead of the broker's reply (seen in a CI run); and about one start in fifteen here, MassTransit
    // logged "Declare queue faulted" with an ObjectDisposedException (a disposed SemaphoreSlim) and never faulted the
    // endpoint, which stayed "not ready". /health/ready is 503 naming the endpoint either way, but only a fault brings
    // the broker's reason to the log, which is what this test is about: the service is started again, up to three
    // starts in all, and one of them must log the broker's refusal.
    const string ReplyLostByMassTransit = "ObjectDisposedException on channel";
    const int Starts = 3;
    static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(10);

    enum Outcome { Refused, ReplyLost, NeverFaulted }

    async Task NotReadyNamingAsync(string service, Action<IHostApplicationBuilder> add, string queue,
        Dictionary<string, object?> arguments)
    {
        await rabbit.DeclareQueueAsync(queue, arguments);
        var outcomes = new List<Outcome>();
        for (var start = 1; start <= Starts && !outcomes.Contains(Outcome.Refused); start++)
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
            outcomes.Add(await StartUntilRefusedAsync(service, add, queue));
        }
        Assert.True(outcomes.Contains(Outcome.Refused), $"{Starts} starts ended {string.Join(", ", outcomes)}, none with the broker's refusal in log 9102");
        // Still not ready later: the endpoint keeps failing, it does not come good by itself.
        using var http = new HttpClient { BaseAddress = new Uri(app!.Urls.First()) };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Readiness.Of(http)).Code);
    }

    static bool BrokersRefusal(string? reason) => reason?.Contains("PRECONDITION_FAILED", StringComparison.Ordinal) == true;

    static IEnumerable<string> Faults(RecordedLogs logs, string queue) => logs.Entries
        .Where(log => log is { EventId: 9102, Level: LogLevel.Error } && log.Message.Contains(queue, StringComparison.Ordinal))
        .Select(log => log.Message);

    // MassTransit's own warning when a declaration of the queue failed.
    static IEnumerable<DateTimeOffset> FailedDeclarations(RecordedLogs logs, string queue) => logs.Entries
        .Where(log => log.Message.StartsWith($"Declare queue faulted: name: {queue},", StringComparison.Ordinal))
        .Select(log => log.At);

    /// <summary>
    /// Starts the service and waits until /health/ready answers 503 naming the endpoint and the log explains it: an error
    /// 9102 with the broker's refusal (or with the reply MassTransit lost), or MassTransit's failed declaration while the
    /// endpoint has stayed "not ready" for <see cref="StuckAfter"/>.
    /// </summary>
    async Task<Outcome> StartUntilRefusedAsync(string service, Action<IHostApplicationBuilder> add, string queue)
    {
        var logs = new RecordedLogs();
        app = system.Build(service, add, services: s => s.AddSingleton<ILoggerProvider>(logs));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // At start every endpoint is "not ready" anyway; then it is faulted, with the reason of its latest attempt (the
        // broker's refusal, or the channel it closed for it), and the log has the refusal.
        Readiness? last = null;
        Outcome? outcome = null;
        try
        {
            await Eventually.True(async () =>
            {
                last = await Readiness.Of(http);
                if (last.Code != HttpStatusCode.ServiceUnavailable || last.Status != "Unhealthy"
                    || !last.Body.Contains("bus: Unhealthy: ", StringComparison.Ordinal)
                    || !last.Body.Contains($"endpoint {queue} unhealthy: ", StringComparison.Ordinal))
                    return false;
                var faults = Faults(logs, queue).ToList();
                if (!last.Body.Contains($"endpoint {queue} unhealthy: not ready", StringComparison.Ordinal))
                    outcome = faults.Any(BrokersRefusal) ? Outcome.Refused
                        : faults.Any(f => f.Contains(ReplyLostByMassTransit, StringComparison.Ordinal)) ? Outcome.ReplyLost : null;
                else if (FailedDeclarations(logs, queue).Any(at => DateTimeOffset.UtcNow - at > StuckAfter))
                    outcome = Outcome.NeverFaulted;
                return outcome is not null;
            }, $"{service}'s /health/ready to answer 503 naming {queue} and an error log 9102 with the broker's reason");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Last answer: {last} Its warnings and errors: " + string.Join(" || ",
                logs.Entries.Where(log => log.Level >= LogLevel.Warning && log.EventId != 103).Select(log => $"{log.EventId} {log.Message} {log.Error}")), e);
        }
        return outcome!.Value;
    }
}
