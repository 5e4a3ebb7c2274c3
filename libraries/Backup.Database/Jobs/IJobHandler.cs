namespace Backup.Database.Jobs;

/// <summary>Does the work of one kind of job; run by <see cref="JobWorker{THandler}"/> under a claim.</summary>
public interface IJobHandler
{
    /// <summary>
    /// Does the job and reports its outcome (a failure that was reported is <see cref="JobOutcome.Done"/>). The token
    /// is cancelled when the service stops or the claim is lost; an exception counts as an attempt that failed.
    /// </summary>
    Task<JobOutcome> RunAsync(ClaimedJob job, CancellationToken cancellationToken);

    /// <summary>
    /// The job has used up its attempts without an outcome (its workers kept dying, or it kept throwing): report it
    /// as failed, with <paramref name="reason"/>, so nobody waits for it forever, unless its work turns out to be done
    /// after all (the dumper: the run's whole backup is in the store), which is then reported instead.
    /// </summary>
    Task GiveUpAsync(ClaimedJob job, string reason, CancellationToken cancellationToken);
}

/// <summary>What became of an attempt.</summary>
public abstract record JobOutcome
{
    public static readonly JobOutcome Done = new Finished(null);

    /// <summary>
    /// Finished, with a short note for the jobs table (e.g. the failure code that was reported) and, optionally, what
    /// was reported as JSON (kept in jobs.result for whoever asks for the job's outcome).
    /// </summary>
    public sealed record Finished(string? Note, string? Result = null) : JobOutcome;

    /// <summary>A transient failure: try again after <paramref name="Delay"/> (the job waits in the table, not in memory).</summary>
    public sealed record RetryLater(TimeSpan Delay, string Reason) : JobOutcome;
}
