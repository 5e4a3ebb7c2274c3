using Backup.Database;
using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>
/// Accepts a BackupRequested: one with an all-zero run id is refused to dump-database_error (two of them would be one
/// job, and its events would reach whichever run the catalog holds under that id); a request for a source that isn't configured fails at once (BackupFailed
/// UnknownSource); any other becomes a dump job in the catalog database, and the message is acknowledged as soon as
/// the job is stored. The dump itself runs under the job's claim (<see cref="DumpDatabaseJob"/>), so a dump longer
/// than RabbitMQ's consumer timeout holds no message, and a request delivered twice is one job: the run id is its key.
/// One dump of a source runs at a time: a request for a source that is being dumped waits behind it (its own run,
/// its own artifact), in the order requests arrived. Finished jobs are purged after Jobs:KeepFinishedFor, so the
/// catalog's run decides first: a request of a run whose dump is over (<see cref="BackupRunStates.DumpOver"/>) is a
/// replay, acknowledged without a job and without publishing anything.
/// </summary>
public sealed class DumpDatabaseConsumer(
    IOptionsMonitor<SourcesOptions> sources,
    JobQueue jobs,
    TimeProvider clock,
    ILogger<DumpDatabaseConsumer> logger) : IConsumer<BackupRequested>
{
    public async Task Consume(ConsumeContext<BackupRequested> context)
    {
        var request = context.Message;
        RefusedMessageException.ThrowIfNoRunId(request.RunId, nameof(BackupRequested));
        using var scope = logger.BeginRunScope(request.RunId);

        if (await DumpOverAsync(request.RunId, context.CancellationToken) is { } state)
        {
            Log.ReplayOfEndedRun(logger, request.RunId, state);
            return;
        }

        if (!SourceNames.IsValid(request.Source) || !sources.CurrentValue.ContainsKey(request.Source))
        {
            Log.UnknownSource(logger, request.RunId);
            await context.Publish(DumpResult.UnknownSource(request.Source, sources.CurrentValue.Keys).ToEvent(request, clock.GetUtcNow()));
            return;
        }

        if (await jobs.EnqueueAsync(DumpDatabaseJob.Kind, DumpDatabaseJob.KeyOf(request), group: request.Source, request, context.CancellationToken))
            Log.DumpQueued(logger, request.RunId, request.Source);
        else
            Log.DuplicateRequest(logger, request.RunId);
    }

    // The run's state when the catalog recorded its dump's end (the run id is the key of both tables); null otherwise.
    Task<string?> DumpOverAsync(Guid runId, CancellationToken cancellationToken) =>
        jobs.InTransactionAsync(async transaction =>
        {
            await using var command = transaction.Command("SELECT current_state FROM backup_runs WHERE correlation_id = @run AND current_state = ANY(@over)");
            JobTransaction.Add(command, ("run", runId), ("over", BackupRunStates.DumpOver));
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }, cancellationToken);
}

/// <summary>
/// Accepting a request only stores a job (<see cref="JobAcceptingConsumerDefinition{TConsumer}"/>); how many dumps
/// run at once is Dumper:ConcurrentDumps, in the job worker. Its queue: dump-database (and dump-database_error).
/// </summary>
public sealed class DumpDatabaseConsumerDefinition() : JobAcceptingConsumerDefinition<DumpDatabaseConsumer>("dump-database");
