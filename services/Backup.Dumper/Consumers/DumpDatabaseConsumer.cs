using System.Diagnostics;
using System.Security.Cryptography;
using Backup.Contracts;
using Backup.Dumper.Dumping;
using Backup.Dumper.Options;
using Backup.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Backup.Dumper.Consumers;

/// <summary>
/// Takes a BackupRequested for a configured source, runs pg_dump into the artifact store while hashing the bytes,
/// and publishes BackupStarted, then BackupCompleted or BackupFailed. A failed backup is an outcome, not a fault:
/// it is published so the run ends and the administrators are alerted. The artifact's key is made here from the
/// validated source name, the run id and the request time: nothing in the message becomes a path.
/// </summary>
public sealed class DumpDatabaseConsumer(
    IOptionsMonitor<SourcesOptions> sources,
    PgDumpProcess pgDump,
    IArtifactStore store,
    TimeProvider clock,
    ILogger<DumpDatabaseConsumer> logger) : IConsumer<BackupRequested>
{
    public const string Format = "pg_dump-custom";

    public async Task Consume(ConsumeContext<BackupRequested> context)
    {
        var request = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = request.RunId });
        using var activity = DumperTelemetry.Source.StartActivity("pg_dump");
        activity?.SetTag("backup.run_id", request.RunId);
        activity?.SetTag("backup.source", request.Source);

        if (!sources.CurrentValue.TryGetValue(request.Source, out var source) || !Backup.ServiceDefaults.SourceNames.IsValid(request.Source))
        {
            Log.UnknownSource(logger, request.RunId);
            await PublishFailure(context, DumpOutcome.Failure(DumpErrorCodes.UnknownSource,
                $"No source named '{Truncate(request.Source)}' is configured in the dumper. Configured sources: {string.Join(", ", sources.CurrentValue.Keys.Order())}. Add it under Sources:<name> or fix the request."));
            return;
        }

        var startedAt = clock.GetUtcNow();
        var key = ArtifactKey.Create(request.Source, request.RunId, request.RequestedAt);
        if (store.Exists(key))
        {
            // A request delivered again after its artifact was stored (the first BackupCompleted may have been lost
            // with the process): report the stored artifact again, don't dump twice.
            await PublishCompletion(context, key, startedAt, await HashExistingAsync(key, context.CancellationToken));
            return;
        }

        await context.Publish(new BackupStarted { RunId = request.RunId, Source = request.Source, StartedAt = startedAt });
        Log.DumpStarted(logger, request.RunId, request.Source);

        var stopwatch = Stopwatch.StartNew();
        DumpOutcome outcome;
        (long Size, string Sha256) written = default;
        try
        {
            await using var write = await store.BeginWriteAsync(key, context.CancellationToken);
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var hashing = new HashingStream(write.Content, sha256);
            outcome = await pgDump.DumpAsync(request.Source, source, hashing, context.CancellationToken);
            if (outcome.Succeeded)
            {
                await write.CommitAsync(context.CancellationToken);
                written = (hashing.BytesWritten, Convert.ToHexStringLower(sha256.GetHashAndReset()));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outcome = DumpOutcome.Failure(DumpErrorCodes.StorageFailed,
                $"Could not write the artifact of source '{request.Source}' to the store: {e.Message}. Check free space and permissions under Storage:Root. Older backups were not touched.");
        }

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        activity?.SetTag("backup.outcome", outcome.Succeeded ? "completed" : outcome.ErrorCode);
        if (!outcome.Succeeded)
        {
            Log.DumpFailed(logger, request.RunId, request.Source, outcome.ErrorCode);
            await PublishFailure(context, outcome);
            return;
        }

        activity?.SetTag("backup.size_bytes", written.Size);
        Log.DumpCompleted(logger, request.RunId, request.Source, written.Size, stopwatch.ElapsedMilliseconds);
        await PublishCompletion(context, key, startedAt, written);
    }

    Task PublishCompletion(ConsumeContext<BackupRequested> context, ArtifactKey key, DateTimeOffset startedAt,
        (long Size, string Sha256) artifact) =>
        context.Publish(new BackupCompleted
        {
            RunId = context.Message.RunId,
            Source = context.Message.Source,
            StartedAt = startedAt,
            CompletedAt = clock.GetUtcNow(),
            ArtifactKey = key.Value,
            SizeBytes = artifact.Size,
            Sha256 = artifact.Sha256,
            Format = Format,
        });

    Task PublishFailure(ConsumeContext<BackupRequested> context, DumpOutcome outcome) =>
        context.Publish(new BackupFailed
        {
            RunId = context.Message.RunId,
            Source = Truncate(context.Message.Source),
            FailedAt = clock.GetUtcNow(),
            ErrorCode = outcome.ErrorCode,
            Reason = outcome.Reason,
        });

    async Task<(long, string)> HashExistingAsync(ArtifactKey key, CancellationToken cancellationToken)
    {
        await using var stream = store.OpenRead(key);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    static string Truncate(string value) => value.Length <= 63 ? value : value[..63];
}
