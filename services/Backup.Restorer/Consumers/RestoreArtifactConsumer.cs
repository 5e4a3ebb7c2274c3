using System.Diagnostics;
using Backup.Contracts;
using Backup.Recovery;
using Backup.Recovery.Postgres;
using Backup.Restorer.Restoring;
using Backup.Storage;
using MassTransit;
using Npgsql;

namespace Backup.Restorer.Consumers;

/// <summary>
/// Takes a RestoreRequested, restores the artifact into a new database on the restore server with the same core as
/// backupctl restore (verify against the manifest before touching a database, decode, create, pg_restore -j, count
/// rows), and publishes RestoreCompleted or RestoreFailed. A failed restore is an outcome, not a fault: it is
/// published and the message is done. The key is parsed against the dumper's shape and the target name against
/// the plain-identifier rule before anything is read: nothing in the message becomes a path or SQL.
/// </summary>
public sealed class RestoreArtifactConsumer(
    RestorerSetup setup,
    TimeProvider clock,
    ILogger<RestoreArtifactConsumer> logger) : IConsumer<RestoreRequested>
{
    public async Task Consume(ConsumeContext<RestoreRequested> context)
    {
        var request = context.Message;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RestoreId"] = request.RestoreId });
        using var activity = RestorerTelemetry.Source.StartActivity("pg_restore");
        activity?.SetTag("backup.restore_id", request.RestoreId);
        var startedAt = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();

        if (!ArtifactKey.TryParse(request.ArtifactKey, out var key))
        {
            await RefuseAsync(context, activity,
                $"'{Clip(request.ArtifactKey, 200)}' is not an artifact key made by the dumper. Give the store-relative key exactly as " +
                "BackupCompleted.ArtifactKey carried it, e.g. demo/2026/11/24/20261124T020000Z-0f8fad5bd9cb469fa16570867728950e.dump.zst (not a path).");
            return;
        }
        activity?.SetTag("backup.source", key.Source);
        activity?.SetTag("backup.artifact_key", key.Value);

        var target = request.TargetDatabase ?? TargetNames.Default(key.Source, startedAt);
        // Valid names have at most 63 characters, so the clipped name is valid exactly when the name is; a long one isn't echoed whole.
        if (DatabaseNames.Problem(Clip(target, 80), RestorerCaller.Instance) is { } problem)
        {
            await RefuseAsync(context, activity, problem);
            return;
        }
        activity?.SetTag("backup.target_database", target);

        Log.RestoreStarted(logger, request.RestoreId, key.Value, target);
        var (report, errorCode, reason) = await RestoreAsync(request, key, target, context.CancellationToken);

        activity?.SetTag("backup.duration_ms", stopwatch.ElapsedMilliseconds);
        if (report is not null && errorCode is null)
        {
            activity?.SetTag("backup.outcome", "completed");
            Log.RestoreCompleted(logger, request.RestoreId, target, report.Tables.Count, stopwatch.ElapsedMilliseconds);
            await context.Publish(new RestoreCompleted
            {
                RestoreId = request.RestoreId,
                ArtifactKey = key.Value,
                Source = key.Source,
                TargetDatabase = target,
                StartedAt = startedAt,
                CompletedAt = clock.GetUtcNow(),
                Tables = Tables(report),
            });
            return;
        }

        activity?.SetTag("backup.outcome", errorCode);
        Log.RestoreFailed(logger, request.RestoreId, errorCode!);
        await PublishFailureAsync(context, errorCode!, reason!);
    }

    async Task<(RestoreReport? Report, string? ErrorCode, string? Reason)> RestoreAsync(RestoreRequested request, ArtifactKey key,
        string target, CancellationToken cancellationToken)
    {
        try
        {
            var report = await ArtifactRestore.RunAsync(setup.For(key), key, target, request.Overwrite,
                new LoggedProgress(logger, request.RestoreId), cancellationToken);
            if (report.RowCountsMatch) return (report, null, null);
            var differing = string.Join(", ", report.Differing.Select(table =>
                $"{table.Table}: {table.Expected} expected, {(table.Restored is { } rows ? $"{rows} restored" : "missing")}"));
            return (report, nameof(RecoveryErrorCode.RowCountMismatch),
                $"Restored {key} into database {target}, but {report.Differing.Count} of {report.Tables.Count} tables differ from the manifest's row counts " +
                $"({differing}); do not rely on this restore.");
        }
        catch (RecoveryException e)
        {
            return (null, e.Code.ToString(), e.Message);
        }
        catch (NpgsqlException e)
        {
            // The server went away or said no in the middle of the restore (the core reports a refused connection itself).
            var code = e is PostgresException ? RecoveryErrorCode.RestoreFailed : RecoveryErrorCode.ConnectionFailed;
            var why = e is PostgresException postgres ? postgres.MessageText : e.Message;
            return (null, code.ToString(), $"The restore server failed during the restore of {key} into database {target}: {why}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, nameof(RecoveryErrorCode.RestoreFailed),
                $"Could not read {key} from the store or write its decoded archive: {e.Message}. " +
                "Check the permissions under Storage:Root, and free space and permissions under Restore:TempDirectory.");
        }
    }

    async Task RefuseAsync(ConsumeContext<RestoreRequested> context, Activity? activity, string reason)
    {
        activity?.SetTag("backup.outcome", nameof(RecoveryErrorCode.InvalidRequest));
        Log.RestoreRefused(logger, context.Message.RestoreId);
        await PublishFailureAsync(context, nameof(RecoveryErrorCode.InvalidRequest), reason);
    }

    Task PublishFailureAsync(ConsumeContext<RestoreRequested> context, string errorCode, string reason) =>
        context.Publish(new RestoreFailed
        {
            RestoreId = context.Message.RestoreId,
            ArtifactKey = Clip(context.Message.ArtifactKey, 200),
            FailedAt = clock.GetUtcNow(),
            ErrorCode = errorCode,
            Reason = Clip(reason, 4000),
        });

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

    static string Clip(string? value, int length) =>
        value is null ? "" : value.Length <= length ? value : value[..length] + "…";
}
