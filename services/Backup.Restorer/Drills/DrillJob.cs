using System.Diagnostics;
using System.Text.Json;
using Backup.Database.Jobs;
using Backup.Database.Retention;
using Backup.Contracts;
using Backup.Recovery;
using Backup.Recovery.Drills;
using Backup.Restorer.Restoring;
using Backup.ServiceDefaults;
using Backup.Storage;
using MassTransit;

namespace Backup.Restorer.Drills;

/// <summary>
/// One restore drill, run under a job claim (heartbeats, takeover of a dead worker's drill, at most
/// <see cref="MaxAttempts"/> attempts): <see cref="RestoreDrill"/> restores the backup into a scratch database on the
/// drill server and proves it, then BackupVerified or BackupVerificationFailed tells the catalog, the notifier and
/// anyone else. An artifact retention is deleting is not drilled (BackupVerificationSkipped). A drill whose workers
/// keep dying is reported as failed (Interrupted); its scratch database is dropped by the next drill on the server.
/// </summary>
public sealed class DrillJob(
    DrillSetup setup,
    IPendingDeletions deletions,
    IBus bus,
    DrillMetrics metrics,
    TimeProvider clock,
    ILogger<DrillJob> logger) : IJobHandler
{
    public const string Kind = JobKinds.Drill;

    /// <summary>A drill replaces its scratch database, so a takeover or retry is safe: three attempts.</summary>
    public const int MaxAttempts = 3;

    /// <summary>How long a drill whose server could not be reached waits before its next attempt (times the attempts so far).</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromMinutes(2);

    public static string KeyOf(Guid runId) => JobKinds.KeyOf(runId);

    public async Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        var drill = Payload(job);
        var key = ArtifactKey.Parse(drill.ArtifactKey); // checked when the drill was accepted
        using var scope = logger.BeginRunScope(drill.RunId);
        using var activity = RestorerTelemetry.Source.StartActivity("backup.drill");
        activity?.SetTag("backup.run_id", drill.RunId);
        activity?.SetTag("backup.source", key.Source);
        activity?.SetTag("backup.artifact_key", key.Value);

        if (await deletions.ReasonAsync(key.Value, cancellationToken) is { } deleted)
        {
            await bus.PublishUntilSentAsync(new BackupVerificationSkipped
            {
                RunId = drill.RunId, Source = key.Source, ArtifactKey = key.Value, SkippedAt = clock.GetUtcNow(),
                Reason = $"The artifact was being deleted by retention before its drill could run ({deleted}).",
            }, clock, logger, cancellationToken);
            return new JobOutcome.Finished("skipped: deleted");
        }

        var startedAt = clock.GetUtcNow();
        Log.DrillStarted(logger, drill.RunId, key.Value);
        DrillReport report;
        try
        {
            report = await RestoreDrill.RunAsync(setup.For(key), key, drill.RunId, new LoggedProgress(logger, drill.RunId), cancellationToken);
        }
        catch (RecoveryException e) // the drill's keys could not be read
        {
            report = new DrillReport(key, null, [], [], [], [e.Message], VerificationErrorCodes.DecryptionFailed, e.Message);
        }

        // The drill server away is no verdict on the backup: its job waits in the table and tries again, and only its
        // last attempt reports the failure.
        if (report.ErrorCode == VerificationErrorCodes.ConnectionFailed && job.Attempts < MaxAttempts && !cancellationToken.IsCancellationRequested)
        {
            Log.DrillRetrying(logger, drill.RunId, RetryDelay * job.Attempts);
            return new JobOutcome.RetryLater(RetryDelay * job.Attempts, report.Reason ?? report.ErrorCode);
        }

        var rtoTarget = setup.Options.RtoTargetFor(key.Source);
        metrics.Ended(key.Source, report, rtoTarget);
        activity?.SetTag("backup.recovery_seconds", report.RecoveryTime.TotalSeconds);
        activity?.SetTag("backup.outcome", report.Passed ? "passed" : "failed");
        if (!report.Passed)
        {
            activity?.SetTag("backup.error_code", report.ErrorCode);
            activity.RecordFailure(report.ErrorCode!, report.Reason ?? report.Failures.FirstOrDefault() ?? report.ErrorCode!);
        }

        var steps = report.Steps.Select(s => new DrillStep { Name = s.Name, Seconds = Math.Round(s.Duration.TotalSeconds, 3) }).ToList();
        var tables = report.Tables.Select(t => new RestoredTable
        {
            Schema = t.Schema, Name = t.Name, ExpectedRows = t.Expected, RestoredRows = t.Restored ?? 0,
        }).ToList();
        var checks = report.Checks.Select(c => new DrillCheck { Name = c.Name, Passed = c.Passed, Detail = c.Detail }).ToList();
        if (report.Passed)
        {
            Log.DrillPassed(logger, drill.RunId, report.Tables.Count, report.RecoveryTime.TotalSeconds, rtoTarget.TotalSeconds);
            var verified = new BackupVerified
            {
                RunId = drill.RunId,
                Source = key.Source,
                ArtifactKey = key.Value,
                StartedAt = startedAt,
                VerifiedAt = clock.GetUtcNow(),
                RecoveryTimeSeconds = Math.Round(report.RecoveryTime.TotalSeconds, 3),
                RtoTargetSeconds = rtoTarget.TotalSeconds,
                Steps = steps,
                Tables = tables,
                Checks = checks,
            };
            await bus.PublishUntilSentAsync(verified, clock, logger, cancellationToken);
            return new JobOutcome.Finished("passed", JsonSerializer.Serialize(verified, JsonSerializerOptions.Web));
        }

        Log.DrillFailed(logger, drill.RunId, report.ErrorCode!);
        var failed = new BackupVerificationFailed
        {
            RunId = drill.RunId,
            Source = key.Source,
            ArtifactKey = key.Value,
            StartedAt = startedAt,
            FailedAt = clock.GetUtcNow(),
            ErrorCode = report.ErrorCode!,
            Reason = Text.Clip(report.Reason ?? report.Failures.FirstOrDefault() ?? report.ErrorCode!, 4000, Text.Ellipsis),
            Failures = [.. report.Failures.Take(100).Select(f => Text.Clip(f, 500, Text.Ellipsis))],
            Steps = steps,
            Tables = tables,
            Checks = checks,
        };
        await bus.PublishUntilSentAsync(failed, clock, logger, cancellationToken);
        return new JobOutcome.Finished(report.ErrorCode, JsonSerializer.Serialize(failed, JsonSerializerOptions.Web));
    }

    public Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken)
    {
        var drill = Payload(job);
        var why = $"The restore drill was started {job.Attempts - 1} times and never finished (its restorer stopped or was killed each time). {reason}";
        return bus.PublishUntilSentAsync(new BackupVerificationFailed
        {
            RunId = drill.RunId,
            Source = drill.Source,
            ArtifactKey = drill.ArtifactKey,
            StartedAt = drill.QueuedAt,
            FailedAt = clock.GetUtcNow(),
            ErrorCode = VerificationErrorCodes.Interrupted,
            Reason = Text.Clip(why, 4000, Text.Ellipsis),
            Failures = [Text.Clip(why, 500, Text.Ellipsis)],
            Steps = [],
            Tables = [],
            Checks = [],
        }, clock, logger, cancellationToken);
    }

    static DrillJobPayload Payload(ClaimedJob job) =>
        JsonSerializer.Deserialize<DrillJobPayload>(job.Payload, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"Job {job.Key} holds no drill.");
}
