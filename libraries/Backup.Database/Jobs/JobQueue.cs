using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Backup.Database.Outages;
using Backup.ServiceDefaults;
using Npgsql;

namespace Backup.Database.Jobs;

/// <summary>
/// A job as its worker holds it: the request, which attempt this is, whose claim it is, and the claim's generation
/// (<see cref="Job.Generation"/>), the fencing token every change of the worker's is conditional on.
/// </summary>
public sealed record ClaimedJob(string Kind, string Key, string Payload, int Attempts, string? TraceParent, string Holder, long Generation);

/// <summary>
/// The worker's claim on a job is no longer its own: another worker took the job over (its generation moved on), or
/// the job is no longer running. The attempt stops at once: it makes nothing visible, publishes nothing, settles nothing.
/// </summary>
public sealed class ClaimLostException(ClaimedJob job)
    : Exception($"The claim on {job.Kind} job {job.Key} (generation {job.Generation}) was taken over by another worker.");

/// <summary>
/// The jobs table as a queue: enqueue once per key, claim with FOR UPDATE SKIP LOCKED (one worker per job across all
/// instances), heartbeat, finish, retry later, release. Every claim increments the job's generation (its fencing
/// token), and every change made while a job runs is conditional on that generation still being the job's, so a
/// worker that lost its claim (it stalled past the stale limit and another took over, even in the same process) can't
/// finish or reschedule a job it no longer holds; <see cref="ConfirmClaimAsync"/> is the check a handler makes before
/// anything of its work becomes visible. Storing a job wakes this process's worker of its
/// kind (<see cref="WakeUpFor"/>) once it is committed. Times come from the injected clock.
/// </summary>
/// <param name="outageRideOut">How long <see cref="ConfirmClaimAsync"/> waits out the catalog database's outage (CatalogOutage:RideOut).</param>
public sealed class JobQueue(NpgsqlDataSource database, TimeProvider clock, TimeSpan? outageRideOut = null) : IAsyncDisposable
{
    const string Insert = """
        INSERT INTO jobs (kind, key, "group", payload, state, attempts, not_before, created_at, trace_parent)
        VALUES (@kind, @key, @group, @payload::jsonb, 'queued', 0, @now, @now, @trace)
        ON CONFLICT (kind, key) DO NOTHING
        """;

    readonly ConcurrentDictionary<string, WakeUpSignal> wakeUps = new(StringComparer.Ordinal);

    /// <summary>This process's name on its claims (<see cref="ClaimHolder"/>).</summary>
    public string Holder { get; } = ClaimHolder.New();

    /// <summary>Notified when a job of <paramref name="kind"/> was stored by this process: its worker looks at once instead of at its next poll.</summary>
    public WakeUpSignal WakeUpFor(string kind) => wakeUps.GetOrAdd(kind, _ => new WakeUpSignal());

    /// <summary>
    /// Stores the job a consumed message asks for, unless one with the same kind and key exists (the message was
    /// delivered again); true when this call stored it. <paramref name="payload"/> is stored as JSON (web defaults),
    /// the current trace as the job's parent, and the worker of <paramref name="kind"/> is woken. Jobs of one
    /// <paramref name="group"/> run one at a time, in the order they were stored (null: no such limit).
    /// </summary>
    public Task<bool> EnqueueAsync<TPayload>(string kind, string key, string? group, TPayload payload, CancellationToken cancellationToken) =>
        EnqueueAsync(kind, key, group, JsonSerializer.Serialize(payload, JsonSerializerOptions.Web), Activity.Current?.Id, cancellationToken);

    /// <summary>
    /// Stores a job unless one with the same kind and key exists; true when this call stored it, and then the worker of
    /// <paramref name="kind"/> is woken. Jobs of one <paramref name="group"/> run one at a time, in the order they were
    /// stored (null: no such limit).
    /// </summary>
    public async Task<bool> EnqueueAsync(string kind, string key, string? group, string payload, string? traceParent,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var stored = await ExecuteAsync(Insert, cancellationToken,
            ("kind", kind), ("key", key), ("group", group), ("payload", payload), ("now", now), ("trace", traceParent)) == 1;
        if (stored) WakeUpFor(kind).Notify();
        return stored;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction of the jobs' database and commits it: for a job whose storing
    /// depends on what else is in the database (read under a lock, in the same transaction). The workers of the jobs
    /// it stored (<see cref="EnqueueAsync(JobTransaction, string, string, string?, string, string?, CancellationToken)"/>)
    /// are woken once it is committed.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<JobTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var unit = new JobTransaction(connection, transaction);
        var result = await work(unit);
        await transaction.CommitAsync(cancellationToken);
        foreach (var kind in unit.Stored) WakeUpFor(kind).Notify();
        return result;
    }

    /// <summary>
    /// <see cref="EnqueueAsync(string, string, string?, string, string?, CancellationToken)"/> inside the caller's
    /// <paramref name="transaction"/>: the job is stored if it commits, and its worker is woken then.
    /// </summary>
    public async Task<bool> EnqueueAsync(JobTransaction transaction, string kind, string key, string? group, string payload,
        string? traceParent, CancellationToken cancellationToken)
    {
        var stored = await transaction.ExecuteAsync(Insert, cancellationToken,
            ("kind", kind), ("key", key), ("group", group), ("payload", payload), ("now", clock.GetUtcNow()), ("trace", traceParent)) == 1;
        if (stored) transaction.Stored.Add(kind);
        return stored;
    }

    /// <summary>
    /// Claims the oldest due job of the kind: a queued one whose time has come and whose group has no live running
    /// job, or a running one whose holder has not sent a heartbeat for <paramref name="staleAfter"/> (it died or
    /// hung). Null when there is none. Claims of one kind are taken one at a time (a transaction-scoped advisory
    /// lock), so two workers can't both start a job of the same group.
    /// </summary>
    public async Task<ClaimedJob?> ClaimAsync(string kind, TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var serialize = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('jobs-claim:' || @kind, 0))", connection, transaction))
        {
            Add(serialize, ("kind", kind));
            await serialize.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var command = new NpgsqlCommand("""
            UPDATE jobs SET state = 'running', claimed_by = @holder, heartbeat_at = @now, attempts = attempts + 1, generation = generation + 1
            WHERE (kind, key) = (
                SELECT kind, key FROM jobs j
                WHERE kind = @kind
                  AND ((state = 'queued' AND not_before <= @now
                        AND (j."group" IS NULL OR NOT EXISTS (
                            SELECT 1 FROM jobs r
                            WHERE r.kind = j.kind AND r."group" = j."group" AND r.state = 'running' AND r.heartbeat_at >= @stale)))
                       OR (state = 'running' AND heartbeat_at < @stale))
                ORDER BY not_before, created_at
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING kind, key, payload::text, attempts, trace_parent, generation
            """, connection, transaction);
        Add(command, ("holder", Holder), ("now", now), ("kind", kind), ("stale", now - staleAfter));
        ClaimedJob? claimed = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
                claimed = new ClaimedJob(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), Holder, reader.GetInt64(5));
        }
        await transaction.CommitAsync(cancellationToken);
        return claimed;
    }

    /// <summary>Renews the claim; false when it is no longer this worker's (another took the job over: its generation moved on).</summary>
    public Task<bool> HeartbeatAsync(ClaimedJob job, CancellationToken cancellationToken) =>
        UpdateClaimedAsync(job, "heartbeat_at = @now", cancellationToken, ("now", clock.GetUtcNow()));

    readonly IReadOnlyList<TimeSpan> outageDelays = CatalogOutage.Delays(outageRideOut ?? new CatalogOutageOptions().RideOut);

    /// <summary>
    /// The fencing check a handler makes immediately before anything of its work becomes visible (an artifact
    /// committed, a manifest written, an event published): renews the claim in the database, conditional on its
    /// generation, and throws <see cref="ClaimLostException"/> when it is no longer this worker's. While the catalog
    /// database is unavailable the check can't be made, so the work waits (nothing of it becomes visible unconfirmed)
    /// and asks again after 1, 2, 4 … 30 s, for CatalogOutage:RideOut; no other worker can take the job over meanwhile.
    /// Past that the database's fault is thrown.
    /// </summary>
    public async Task ConfirmClaimAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!await HeartbeatAsync(job, cancellationToken)) throw new ClaimLostException(job);
                return;
            }
            catch (Exception e) when (CatalogOutage.IsUnavailable(e) && attempt < outageDelays.Count)
            {
                await Task.Delay(outageDelays[attempt], clock, cancellationToken);
            }
        }
    }

    /// <summary>The job is done, whatever its outcome (a failed backup is an outcome that was reported).</summary>
    public Task<bool> FinishAsync(ClaimedJob job, string? note, CancellationToken cancellationToken, string? result = null) =>
        UpdateClaimedAsync(job, "state = 'finished', finished_at = @now, last_error = @note, result = @result::jsonb", cancellationToken,
            ("now", clock.GetUtcNow()), ("note", Text.Clip(note, 2000)), ("result", result));

    /// <summary>Back in the queue, not to be claimed before <paramref name="delay"/> has passed: the durable timer of a retry.</summary>
    public Task<bool> RetryLaterAsync(ClaimedJob job, TimeSpan delay, string reason, CancellationToken cancellationToken) =>
        UpdateClaimedAsync(job, "state = 'queued', claimed_by = NULL, not_before = @due, last_error = @note", cancellationToken,
            ("due", clock.GetUtcNow() + delay), ("note", Text.Clip(reason, 2000)));

    /// <summary>Gives an unfinished job back at shutdown, without counting the attempt, so another worker can start it at once.</summary>
    public Task<bool> ReleaseAsync(ClaimedJob job, CancellationToken cancellationToken) =>
        UpdateClaimedAsync(job, "state = 'queued', claimed_by = NULL, attempts = attempts - 1, last_error = @note", cancellationToken,
            ("note", "released at shutdown"));

    /// <summary>Deletes finished jobs older than <paramref name="olderThan"/>; returns how many.</summary>
    public Task<int> PurgeFinishedAsync(string kind, TimeSpan olderThan, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM jobs WHERE kind = @kind AND state = 'finished' AND finished_at < @cutoff",
            cancellationToken, ("kind", kind), ("cutoff", clock.GetUtcNow() - olderThan));

    /// <summary>
    /// Since when the oldest due job of <paramref name="kind"/> has been waiting for a worker: the earliest time a queued
    /// job could have been claimed (its not_before: when it was stored, or when its retry came due). Null when none waits.
    /// </summary>
    public async Task<DateTimeOffset?> OldestWaitingSinceAsync(string kind, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT min(not_before) FROM jobs WHERE kind = @kind AND state = 'queued' AND not_before <= @now");
        Add(command, ("kind", kind), ("now", clock.GetUtcNow()));
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime since
            ? new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc))
            : null;
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    async Task<bool> UpdateClaimedAsync(ClaimedJob job, string set, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters) =>
        await ExecuteAsync($"UPDATE jobs SET {set} WHERE kind = @kind AND key = @key AND state = 'running' AND generation = @generation",
            cancellationToken, [.. parameters, ("kind", job.Kind), ("key", job.Key), ("generation", job.Generation)]) == 1;

    async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        Add(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static void Add(NpgsqlCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value is DateTimeOffset time ? time.ToUniversalTime() : value ?? DBNull.Value);
    }
}

/// <summary>A transaction of the jobs' database, open for <see cref="JobQueue.InTransactionAsync"/>'s work.</summary>
public sealed class JobTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
{
    internal HashSet<string> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>A command in the transaction (its parameters: <see cref="NpgsqlCommand.Parameters"/>).</summary>
    public NpgsqlCommand Command(string sql) => new(sql, connection, transaction);

    /// <summary>Runs <paramref name="sql"/> in the transaction; times are written as UTC, null as NULL. Returns the rows affected.</summary>
    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql);
        JobQueue.Add(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds <paramref name="parameters"/> to <paramref name="command"/> as <see cref="ExecuteAsync"/> does.</summary>
    public static void Add(NpgsqlCommand command, params (string Name, object? Value)[] parameters) => JobQueue.Add(command, parameters);
}
