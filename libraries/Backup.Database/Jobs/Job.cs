namespace Backup.Database.Jobs;

/// <summary>
/// A piece of long work (a dump, a restore) that a service accepted from a message and will do under a claim.
/// The message is acknowledged as soon as its job is stored, so a dump longer than RabbitMQ's consumer timeout is
/// neither redelivered nor run twice: one worker claims the job, keeps <see cref="HeartbeatAt"/> fresh while it
/// works, and another worker takes the job over only when the heartbeat has gone stale (its holder died).
/// </summary>
public sealed class Job
{
    /// <summary>What the work is, e.g. "dump"; one worker loop per kind.</summary>
    public required string Kind { get; set; }

    /// <summary>Identifies the work within its kind (a run id, a restore id); a second request with it is the same job.</summary>
    public required string Key { get; set; }

    /// <summary>
    /// Jobs with the same group run one at a time (e.g. the source: one dump of a source at once); the others wait
    /// in the queue behind it. Null: no such limit.
    /// </summary>
    public string? Group { get; set; }

    /// <summary>The request that made the job, as JSON.</summary>
    public required string Payload { get; set; }

    public string State { get; set; } = JobStates.Queued;

    /// <summary>How many times a worker has claimed the job (a retry after a transient failure and a takeover both count).</summary>
    public int Attempts { get; set; }

    /// <summary>
    /// The claim's fencing token: incremented at every claim and takeover, never decremented. The worker holding the
    /// claim carries it (<see cref="ClaimedJob.Generation"/>); every change it makes to the job, and its check before
    /// anything of its work becomes visible (<see cref="JobQueue.ConfirmClaimAsync"/>), is conditional on it, so a
    /// worker whose claim was taken over can neither settle the job nor publish.
    /// </summary>
    public long Generation { get; set; }

    /// <summary>Not to be claimed before this time: the durable timer of a retry with backoff.</summary>
    public DateTimeOffset NotBefore { get; set; }

    /// <summary>The worker (host, process, instance) holding the claim while the job runs.</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset? HeartbeatAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>W3C traceparent of the request, so the work shows in the same trace as the message that asked for it.</summary>
    public string? TraceParent { get; set; }

    /// <summary>What the finished job reported, as JSON (for a restore: its RestoreCompleted or RestoreFailed), for the API.</summary>
    public string? Result { get; set; }

    /// <summary>Why the last attempt did not finish (a transient failure, a lost claim), for operators.</summary>
    public string? LastError { get; set; }
}

public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Finished = "finished";
}
