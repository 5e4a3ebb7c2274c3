using System.Diagnostics;
using System.Text.Json;
using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>
/// Accepts a BackupRequested: a request for a source that isn't configured fails at once (BackupFailed
/// UnknownSource); any other becomes a dump job in the catalog database, and the message is acknowledged as soon as
/// the job is stored. The dump itself runs under the job's claim (<see cref="DumpDatabaseJob"/>), so a dump longer
/// than RabbitMQ's consumer timeout holds no message, and a request delivered twice is one job: the run id is its key.
/// One dump of a source runs at a time: a request for a source that is being dumped waits behind it (its own run,
/// its own artifact), in the order requests arrived.
/// </summary>
public sealed class DumpDatabaseConsumer(
    IOptionsMonitor<SourcesOptions> sources,
    JobQueue jobs,
    JobSignal signal,
    TimeProvider clock,
    ILogger<DumpDatabaseConsumer> logger) : IConsumer<BackupRequested>
{
    public async Task Consume(ConsumeContext<BackupRequested> context)
    {
        var request = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = request.RunId });

        if (!SourceNames.IsValid(request.Source) || !sources.CurrentValue.ContainsKey(request.Source))
        {
            Log.UnknownSource(logger, request.RunId);
            await context.Publish(DumpResult.UnknownSource(request.Source, sources.CurrentValue.Keys).ToEvent(request, clock.GetUtcNow()));
            return;
        }

        var payload = JsonSerializer.Serialize(request, JsonSerializerOptions.Web);
        if (await jobs.EnqueueAsync(DumpDatabaseJob.Kind, DumpDatabaseJob.KeyOf(request), group: request.Source, payload, Activity.Current?.Id, context.CancellationToken))
        {
            Log.DumpQueued(logger, request.RunId, request.Source);
            signal.Notify(DumpDatabaseJob.Kind);
        }
        else
            Log.DuplicateRequest(logger, request.RunId);
    }
}
