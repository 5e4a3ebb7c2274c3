using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults;
using Backup.Storage;
using MassTransit;

namespace Backup.Restorer.Consumers;

/// <summary>
/// Accepts a RestoreRequested: the key is parsed against the dumper's shape and the target name (given, or the
/// default made here) against the plain-identifier rule before anything is read, and a request that fails either
/// gets RestoreFailed InvalidRequest at once; nothing in the message becomes a path or SQL. A valid one becomes a
/// restore job in the catalog database and the message is acknowledged as soon as the job is stored: the restore
/// itself runs under the job's claim (<see cref="RestoreArtifactJob"/>), and a request delivered twice is one job.
/// Restores into the same database run one after the other, in the order they arrived.
/// </summary>
public sealed class RestoreArtifactConsumer(
    JobQueue jobs,
    TimeProvider clock,
    ILogger<RestoreArtifactConsumer> logger) : IConsumer<RestoreRequested>
{
    public async Task Consume(ConsumeContext<RestoreRequested> context)
    {
        var request = context.Message;
        RefusedMessageException.ThrowIfNoId(request.RestoreId, "restoreId", nameof(RestoreRequested)); // to restore-artifact_error
        using var scope = logger.BeginRestoreScope(request.RestoreId);

        if (!ArtifactKey.TryParse(request.ArtifactKey, out var key))
        {
            await RefuseAsync(context,
                $"'{Text.Clip(request.ArtifactKey ?? "", 200, Text.Ellipsis)}' is not an artifact key made by the dumper. Give the store-relative key exactly as " +
                "BackupCompleted.ArtifactKey carried it, e.g. demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst (not a path).");
            return;
        }

        var acceptedAt = clock.GetUtcNow();
        var target = request.TargetDatabase ?? TargetNames.Default(key.Source, acceptedAt, request.RestoreId);
        // Valid names have at most 63 characters, so the clipped name is valid exactly when the name is; a long one isn't echoed whole.
        if (DatabaseNames.Problem(Text.Clip(target, 80, Text.Ellipsis), RestorerCaller.Instance) is { } problem)
        {
            await RefuseAsync(context, problem);
            return;
        }

        if (await jobs.EnqueueAsync(RestoreArtifactJob.Kind, RestoreArtifactJob.KeyOf(request), group: target,
                new RestoreJobPayload(request, target, acceptedAt), context.CancellationToken))
            Log.RestoreQueued(logger, request.RestoreId, key.Value, target);
        else
            Log.DuplicateRestoreRequest(logger, request.RestoreId);
    }

    async Task RefuseAsync(ConsumeContext<RestoreRequested> context, string reason)
    {
        Log.RestoreRefused(logger, context.Message.RestoreId);
        await context.Publish(RestoreFailures.Of(context.Message, RestoreErrorCodes.InvalidRequest, reason, clock));
    }
}

/// <summary>
/// Accepting a request only stores a job (<see cref="JobAcceptingConsumerDefinition{TConsumer}"/>); how many restores
/// run at once is Restore:ConcurrentRestores, in the job worker. Its queue: restore-artifact (and restore-artifact_error).
/// </summary>
public sealed class RestoreArtifactConsumerDefinition() : JobAcceptingConsumerDefinition<RestoreArtifactConsumer>("restore-artifact");
