using System.Diagnostics;
using Backup.Database.Outages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Database.Jobs;

/// <summary>
/// Runs jobs of one kind, up to <see cref="JobWorkerSettings.Concurrency"/> at once in this process: claims a due job,
/// renews the claim every Jobs:HeartbeatInterval while <typeparamref name="THandler"/> works, then finishes it,
/// reschedules it (a transient failure), or gives it back (the service is stopping). A job whose claim went stale
/// is taken over (not just after the catalog database was unavailable: <see cref="TakeOverAfter"/>; its generation,
/// the fencing token, moves on, so the old holder's heartbeat, its fencing checks and its settling all fail from then
/// on, and its work is cancelled); one that has used up its attempts is handed to <see cref="IJobHandler.GiveUpAsync"/>.
/// It wakes when a job of its kind is enqueued here (<see cref="JobQueue.WakeUpFor"/>), when one of its jobs ends, and
/// otherwise Jobs:PollInterval after it last looked. Every wait is on the injected clock. Not a <c>PeriodicWork</c>: it runs up
/// to Concurrency jobs at once and looks again as soon as one of them ends, not on a fixed beat.
/// </summary>
public sealed partial class JobWorker<THandler>(
    JobWorkerSettings settings,
    JobQueue queue,
    IServiceScopeFactory scopes,
    IOptions<JobOptions> options,
    TimeProvider clock,
    ILogger<JobWorker<THandler>> logger,
    IOptions<CatalogOutageOptions> outage,
    JobWaitMetrics waits) : BackgroundService where THandler : IJobHandler
{
    public static readonly ActivitySource Activities = new("Backup.Jobs");

    static readonly TimeSpan PurgeEvery = TimeSpan.FromHours(1);

    readonly JobOptions jobs = options.Value;
    readonly IReadOnlyList<TimeSpan> outageDelays = CatalogOutage.Delays(outage.Value.RideOut);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        var running = new List<Task>();
        var wakeUp = queue.WakeUpFor(settings.Kind);
        DateTimeOffset? lastPurge = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveAll(task => task.IsCompleted);
                if (running.Count < settings.Concurrency && await TryClaimAsync(stoppingToken) is { } job)
                {
                    running.Add(RunAsync(job, stoppingToken));
                    continue;
                }
                await LookAtWaitingJobsAsync(stoppingToken);
                if (lastPurge is not { } purged || clock.GetUtcNow() - purged > PurgeEvery)
                {
                    lastPurge = clock.GetUtcNow();
                    await PurgeAsync(stoppingToken);
                }
                // Until woken, a job of ours ends, or the poll interval has passed; a wait that lost the race is called off,
                // so it can't swallow the next wake-up.
                using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var wake = wakeUp.WaitAsync(jobs.PollInterval, clock, stopWaiting.Token);
                await Task.WhenAny([wake, .. running]);
                await stopWaiting.CancelAsync();
                await wake;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping while looking at the table: the jobs still running are released or settled below, never left.
        }
        await Task.WhenAll(running);
    }

    async Task<ClaimedJob?> TryClaimAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await queue.ClaimAsync(settings.Kind, TakeOverAfter(), stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            ClaimFailed(settings.Kind, e); // the catalog database is away: try again at the next poll
            NoteOutage(e);
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    async Task RunAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var activity = StartActivity(job);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobKind"] = job.Kind, ["JobKey"] = job.Key });
        var heartbeat = KeepClaimAsync(job, lease);
        try
        {
            await using var services = scopes.CreateAsyncScope();
            var handler = services.ServiceProvider.GetRequiredService<THandler>();
            if (job.Attempts > settings.MaxAttempts)
            {
                GivingUp(job.Kind, job.Key, job.Attempts - 1);
                await handler.GiveUpAsync(job, GiveUpReason(job), lease.Token);
                await SettleAsync(() => queue.FinishAsync(job, "gave up", CancellationToken.None));
                return;
            }
            if (job.Attempts > 1) Resumed(job.Kind, job.Key, job.Attempts);
            var outcome = await handler.RunAsync(job, lease.Token);
            await SettleAsync(() => outcome is JobOutcome.RetryLater later
                ? queue.RetryLaterAsync(job, later.Delay, later.Reason, CancellationToken.None)
                : queue.FinishAsync(job, (outcome as JobOutcome.Finished)?.Note, CancellationToken.None, (outcome as JobOutcome.Finished)?.Result));
            activity?.SetTag("job.outcome", outcome is JobOutcome.RetryLater ? "retry" : "finished");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await SettleAsync(() => queue.ReleaseAsync(job, CancellationToken.None));
            activity?.SetTag("job.outcome", "released");
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
            activity?.SetTag("job.outcome", "claim lost"); // another worker has it now: nothing of ours to settle
        }
        catch (ClaimLostException)
        {
            // The handler's fencing check (JobQueue.ConfirmClaimAsync) found the job taken over: stop, settle nothing.
            ClaimLost(job.Kind, job.Key);
            activity?.SetTag("job.outcome", "claim lost");
        }
        catch (Exception e)
        {
            // Unexpected: count the attempt and try again later; after MaxAttempts the job is given up and reported.
            AttemptThrew(job.Kind, job.Key, job.Attempts, e);
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            await SettleAsync(() => queue.RetryLaterAsync(job, jobs.PollInterval, $"{e.GetType().Name}: {e.Message}", CancellationToken.None));
        }
        finally
        {
            await lease.CancelAsync();
            await heartbeat;
        }
    }

    // Renews the claim until the work ends; cancels the work when the claim is no longer ours.
    async Task KeepClaimAsync(ClaimedJob job, CancellationTokenSource lease)
    {
        using var timer = new PeriodicTimer(jobs.HeartbeatInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(lease.Token))
            {
                bool held;
                try
                {
                    held = await queue.HeartbeatAsync(job, lease.Token);
                }
                catch (Exception e) when (!lease.IsCancellationRequested)
                {
                    HeartbeatFailed(job.Kind, job.Key, e); // keep working; the claim is only lost if another worker takes it
                    NoteOutage(e);
                    continue;
                }
                if (held) continue;
                ClaimLost(job.Kind, job.Key);
                await lease.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The outcome must reach the table: the catalog database unavailable is waited out for CatalogOutage:RideOut
    // (1, 2, 4 … 30 s apart), another fault a few times (1, 2, 3, 4 s apart).
    async Task SettleAsync(Func<Task<bool>> update)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!await update()) ClaimLostBeforeSettling(settings.Kind);
                return;
            }
            catch (Exception e) when (SettleDelay(e, attempt) is { } delay)
            {
                SettleFailed(settings.Kind, attempt, e);
                NoteOutage(e);
                await Task.Delay(delay, clock);
            }
        }
    }

    // A claim whose heartbeat lapsed while the catalog database was unavailable is not a dead holder's: no heartbeat
    // could be written. So for Jobs:StaleAfter after this worker last met the outage, it takes over no claim (its
    // holders renew theirs within a heartbeat of the database's return); then a lapsed heartbeat means a dead holder again.
    TimeSpan TakeOverAfter() =>
        clock.GetUtcNow().UtcTicks - Interlocked.Read(ref lastOutageTicks) < jobs.StaleAfter.Ticks ? NoTakeOver : jobs.StaleAfter;

    void NoteOutage(Exception fault)
    {
        if (CatalogOutage.IsUnavailable(fault)) Interlocked.Exchange(ref lastOutageTicks, clock.GetUtcNow().UtcTicks);
    }

    static readonly TimeSpan NoTakeOver = TimeSpan.FromDays(36500); // no heartbeat is that old: nothing is taken over
    long lastOutageTicks;

    TimeSpan? SettleDelay(Exception fault, int attempt) =>
        CatalogOutage.IsUnavailable(fault) ? (attempt <= outageDelays.Count ? outageDelays[attempt - 1] : null)
        : attempt < 5 ? TimeSpan.FromSeconds(attempt) : null;

    // For backup.jobs.oldest_waiting_age: what is still waiting once this worker has claimed what it could.
    async Task LookAtWaitingJobsAsync(CancellationToken stoppingToken)
    {
        try
        {
            waits.Saw(settings.Kind, await queue.OldestWaitingSinceAsync(settings.Kind, stoppingToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ClaimFailed(settings.Kind, e); // the catalog database is away: the gauge keeps what was last seen
            NoteOutage(e);
        }
    }

    async Task PurgeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await queue.PurgeFinishedAsync(settings.Kind, jobs.KeepFinishedFor, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            ClaimFailed(settings.Kind, e);
        }
    }

    string GiveUpReason(ClaimedJob job) =>
        $"The {job.Kind} was started {job.Attempts - 1} times without finishing (its worker stopped, was killed, or failed unexpectedly " +
        $"each time), so it was given up. Look at the {job.Kind} service's logs for job {job.Key}, fix the cause, and request it again.";

    static Activity? StartActivity(ClaimedJob job)
    {
        ActivityContext.TryParse(job.TraceParent, null, out var parent);
        var activity = Activities.StartActivity($"job {job.Kind}", ActivityKind.Internal, parent);
        activity?.SetTag("job.kind", job.Kind);
        activity?.SetTag("job.key", job.Key);
        activity?.SetTag("job.attempt", job.Attempts);
        return activity;
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Could not look for {Kind} jobs in the catalog database; trying again")]
    partial void ClaimFailed(string kind, Exception exception);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Could not renew the claim on {Kind} job {Key}; still working")]
    partial void HeartbeatFailed(string kind, string key, Exception exception);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Error, Message = "Lost the claim on {Kind} job {Key} (another worker took it over); stopping this attempt")]
    partial void ClaimLost(string kind, string key);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "A {Kind} job's claim was taken over before its outcome was recorded")]
    partial void ClaimLostBeforeSettling(string kind);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Could not record the outcome of a {Kind} job (attempt {Attempt}); trying again")]
    partial void SettleFailed(string kind, int attempt, Exception exception);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Error, Message = "{Kind} job {Key} failed unexpectedly on attempt {Attempt}; it will be tried again")]
    partial void AttemptThrew(string kind, string key, int attempt, Exception exception);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Error, Message = "Giving up {Kind} job {Key} after {Attempts} attempts without an outcome")]
    partial void GivingUp(string kind, string key, int attempts);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Warning, Message = "Resuming {Kind} job {Key}: attempt {Attempt}")]
    partial void Resumed(string kind, string key, int attempt);
}
