using System.Diagnostics;
using Backup.Database.Jobs;
using Backup.Contracts;
using Backup.Retention.Policy;
using Backup.ServiceDefaults;
using Backup.Storage;
using MassTransit;

namespace Backup.Restorer.Drills;

/// <summary>
/// Takes every BackupCompleted as a restore drill to run, unless its source is not drilled (Drills:Enabled,
/// Drills:Sources:&lt;source&gt;:Enabled) or was drilled within its interval (Every): then BackupVerificationSkipped
/// says why. A drill becomes a job in the catalog database (one per run: a BackupCompleted delivered twice is one
/// drill) and BackupVerificationQueued marks the run's verification pending; the drill runs under the job's claim
/// (<see cref="DrillJob"/>). Nothing here delays the backup: it is done, and its email and retention go on in parallel.
/// </summary>
public sealed class DrillIntakeConsumer(
    DrillSetup setup,
    DrillQueue queue,
    TimeProvider clock,
    ILogger<DrillIntakeConsumer> logger) : IConsumer<BackupCompleted>
{
    public async Task Consume(ConsumeContext<BackupCompleted> context)
    {
        var completed = context.Message;
        using var scope = logger.BeginRunScope(completed.RunId);
        if (!SourceNames.IsValid(completed.Source) || !ArtifactKey.TryParse(completed.ArtifactKey, out var key) || key.Source != completed.Source)
        {
            Log.DrillRefused(logger, completed.RunId);
            return;
        }

        var options = setup.Options;
        if (!options.IsOn(key.Source))
        {
            await queue.ForgetPolicyAsync(key.Source, context.CancellationToken);
            return;
        }
        var every = options.EveryFor(key.Source);
        await queue.RecordPolicyAsync(key.Source, every, options.RtoTargetFor(key.Source), context.CancellationToken);

        var now = clock.GetUtcNow();
        var drill = new DrillJobPayload(completed.RunId, key.Source, key.Value, completed.CompletedAt, now);
        switch (await queue.EnqueueAsync(drill, setup.ServerName, every, Activity.Current?.Id, context.CancellationToken))
        {
            case DrillEnqueued.Queued queued:
                if (!queued.Again)
                    Log.DrillQueued(logger, completed.RunId, key.Value);
                await context.Publish(new BackupVerificationQueued
                {
                    RunId = completed.RunId, Source = key.Source, ArtifactKey = key.Value, QueuedAt = now,
                });
                break;
            case DrillEnqueued.TooSoon recent:
                Log.DrillSkipped(logger, completed.RunId, recent.DrilledRun);
                await context.Publish(new BackupVerificationSkipped
                {
                    RunId = completed.RunId,
                    Source = key.Source,
                    ArtifactKey = key.Value,
                    SkippedAt = now,
                    Reason = $"{key.Source} is drilled at most every {Durations.Describe(every)} (Drills:Sources:{key.Source}:Every); " +
                             $"the backup of run {recent.DrilledRun:D} was taken for a drill at {recent.DrilledAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}. " +
                             "This backup is good but not proven by a drill of its own.",
                });
                break;
        }
    }
}

/// <summary>
/// The intake's endpoint: each BackupCompleted only becomes a job row (<see cref="JobAcceptingConsumerDefinition{TConsumer}"/>).
/// Its queue: drill-backup (and drill-backup_error).
/// </summary>
public sealed class DrillIntakeConsumerDefinition() : JobAcceptingConsumerDefinition<DrillIntakeConsumer>("drill-backup");
