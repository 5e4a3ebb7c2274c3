using System.Diagnostics;
using System.Text.Json;
using Backup.Database.Jobs;
using Backup.Database.Retention;
using Backup.Contracts;
using Backup.Recovery;
using Backup.ServiceDefaults;
using Backup.Storage;
using MassTransit;
using Npgsql;

namespace Backup.Restorer.Restoring;

/// <summary>What a restore job holds: the request, and the target database fixed when the request was accepted.</summary>
public sealed record RestoreJobPayload(RestoreRequested Request, string TargetDatabase, DateTimeOffset AcceptedAt);

/// <summary>
/// One restore, run under a job claim (so it may take longer than the broker's consumer timeout) and under a lock
/// on its target database (so two restores never fill the same database at once): the same core as backupctl
/// restore (verify against the manifest before touching a database, decode, create, pg_restore -j, count rows),
/// then RestoreCompleted or RestoreFailed. A failed restore is an outcome, not a fault, and is not tried again: it
/// could only meet the database it left behind. A restore whose restorer died is reported as Interrupted.
/// </summary>
public sealed class RestoreArtifactJob(
    RestorerSetup setup,
    IPendingDeletions deletions,
    IBus bus,
    RestorerMetrics metrics,
    TimeProvider clock,
    ILogger<RestoreArtifactJob> logger) : IJobHandler
{
    public const string Kind = JobKinds.Restore;

    public static string KeyOf(RestoreRequested request) => JobKinds.KeyOf(request.RestoreId);

    public async Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var (request, target, acceptedAt) = Payload(job);
        var key = ArtifactKey.Parse(request.ArtifactKey); // checked when the request was accepted
        using var scope = logger.BeginRestoreScope(request.RestoreId);
        using var activity = RestorerTelemetry.Source.StartActivity("backup.restore");
        activity?.SetTag("backup.restore_id", request.RestoreId);
        activity?.SetTag("backup.source", key.Source);
        activity?.SetTag("backup.artifact_key", key.Value);
        activity?.SetTag("backup.target_database", target);
        var stopwatch = Stopwatch.StartNew();

        Log.RestoreStarted(logger, request.RestoreId, key.Value, target);
        // Retention marks an artifact for deletion only while no unfinished restore job names it, under the same lock.
        var (report, errorCode, reason) = await deletions.ReasonAsync(key.Value, cancellationToken) is { } deleted
            ? (null, RestoreErrorCodes.ArtifactNotFound, $"{key} is being deleted by retention ({deleted}); restore another backup.")
            : await RestoreAsync(request, key, target, cancellationToken);

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        activity?.SetTag("backup.outcome", errorCode is null ? "completed" : "failed");
        if (errorCode is not null)
        {
            activity?.SetTag("backup.error_code", errorCode);
            activity.RecordFailure(errorCode, reason ?? errorCode);
        }
        metrics.Ended(key.Source, errorCode, stopwatch.Elapsed);
        if (report is not null && errorCode is null)
        {
            Log.RestoreCompleted(logger, request.RestoreId, target, report.Tables.Count, stopwatch.ElapsedMilliseconds);
            var completed = new RestoreCompleted
            {
                RestoreId = request.RestoreId,
                ArtifactKey = key.Value,
                Source = key.Source,
                TargetDatabase = target,
                StartedAt = acceptedAt,
                CompletedAt = clock.GetUtcNow(),
                Tables = Tables(report),
            };
            await bus.PublishUntilSentAsync(completed, clock, logger, cancellationToken);
            return new JobOutcome.Finished(null, JsonSerializer.Serialize(completed, JsonSerializerOptions.Web));
        }

        Log.RestoreFailed(logger, request.RestoreId, errorCode!);
        var failed = RestoreFailures.Of(request, errorCode!, reason!, clock);
        await bus.PublishUntilSentAsync(failed, clock, logger, cancellationToken);
        return new JobOutcome.Finished(errorCode, JsonSerializer.Serialize(failed, JsonSerializerOptions.Web));
    }

    public Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        var (request, target, _) = Payload(job);
        return PublishFailureAsync(request, RestoreErrorCodes.Interrupted,
            $"The restore into database {target} was interrupted: its restorer stopped before it finished and could not drop it, so the database may be partial. " +
            $"Request the restore again with overwrite (a database a restore made may be replaced), or into another database. ({reason})",
            cancellationToken);
    }

    static RestoreJobPayload Payload(ClaimedJob job) =>
        JsonSerializer.Deserialize<RestoreJobPayload>(job.Payload, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"Job {job.Key} holds no request.");

    async Task<(RestoreReport? Report, string? ErrorCode, string? Reason)> RestoreAsync(RestoreRequested request, ArtifactKey key,
        string target, CancellationToken cancellationToken)
    {
        try
        {
            var settings = setup.For(key) with { KeepPrivileges = request.KeepPrivileges, KeepFailedDatabase = request.KeepFailedDatabase };
            var report = await ArtifactRestore.RunAsync(settings, key, target, request.Overwrite,
                new LoggedProgress(logger, request.RestoreId), cancellationToken);
            if (report.RowCountsMatch) return (report, null, null);
            var differing = string.Join(", ", report.Differing.Select(table =>
                $"{table.Table}: {table.Expected} expected, {(table.Restored is { } rows ? $"{rows} restored" : "missing")}"));
            return (report, RestoreErrorCodes.RowCountMismatch,
                $"Restored {key} into database {target}, but {report.Differing.Count} of {report.Tables.Count} tables differ from the manifest's row counts " +
                $"({differing}); do not rely on this restore.");
        }
        catch (RecoveryException e)
        {
            if (e.ToolOutput is not null) Log.FailedToolOutput(logger, request.RestoreId, e.ToolOutput);
            return (null, e.Code.ToString(), e.Message);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The server went away or said no in the middle of the restore (the core reports a refused connection itself).
            var code = e is PostgresException ? RecoveryErrorCode.RestoreFailed : RecoveryErrorCode.ConnectionFailed;
            var why = e is PostgresException postgres ? postgres.MessageText : e.Message;
            return (null, code.ToString(), $"The restore server failed during the restore of {key} into database {target}: {why}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, RestoreErrorCodes.RestoreFailed,
                $"Could not read {key} from the store or write its decoded archive: {e.Message}. " +
                "Check the store's settings (Storage), and free space and permissions under Restore:TempDirectory.");
        }
    }

    Task PublishFailureAsync(RestoreRequested request, string errorCode, string reason, CancellationToken cancellationToken) =>
        bus.PublishUntilSentAsync(RestoreFailures.Of(request, errorCode, reason, clock), clock, logger, cancellationToken);

    static IReadOnlyList<RestoredTable> Tables(RestoreReport report) =>
    [
        .. report.Tables.Select(table => new RestoredTable
        {
            Schema = table.Schema,
            Name = table.Name,
            ExpectedRows = table.Expected,
            RestoredRows = table.Restored ?? 0,
        }),
    ];
}

/// <summary>RestoreFailed from a request, with what it echoes of the request clipped.</summary>
public static class RestoreFailures
{
    public static RestoreFailed Of(RestoreRequested request, string errorCode, string reason, TimeProvider clock) => new()
    {
        RestoreId = request.RestoreId,
        ArtifactKey = Text.Clip(request.ArtifactKey ?? "", 200, Text.Ellipsis),
        FailedAt = clock.GetUtcNow(),
        ErrorCode = errorCode,
        Reason = Text.Clip(reason, 4000, Text.Ellipsis),
    };
}
