using Npgsql;

namespace Backup.IntegrationTests.Infrastructure;

/// <summary>
/// Holds the row lock of one job (SELECT … FOR UPDATE in an open transaction of the test's own), so the worker holding
/// the job's claim stops at its next statement on that row: a fencing check before something becomes visible, a
/// heartbeat, the job's settling. <see cref="PassOneAsync"/> lets exactly one such statement through and stops the
/// worker again at the next: a second session of the gate queues for the lock behind the worker's statement before
/// the first lets go (PostgreSQL grants a row's waiters in order), so the worker can be killed at an exact step with
/// no hook in its code. Give the worker a long Jobs:HeartbeatInterval, so every statement it stops at is a step of its
/// work. Disposing releases the row.
/// </summary>
public sealed class JobRowGate : IAsyncDisposable
{
    readonly string connectionString;
    readonly string kind;
    readonly string key;
    (NpgsqlConnection Connection, NpgsqlTransaction Transaction, int Pid) holder;

    JobRowGate(string connectionString, string kind, string key) =>
        (this.connectionString, this.kind, this.key) = (connectionString, kind, key);

    /// <summary>Locks the row of job (<paramref name="kind"/>, <paramref name="key"/>) in <paramref name="database"/>.</summary>
    public static async Task<JobRowGate> CloseAsync(PostgresEndpoint postgres, string database, string kind, string key)
    {
        var gate = new JobRowGate(postgres.ConnectionString(database), kind, key);
        gate.holder = await gate.OpenAsync();
        await using var command = gate.LockCommand(gate.holder);
        await command.ExecuteNonQueryAsync();
        return gate;
    }

    /// <summary>Waits until a session other than the gate's waits for the row: the worker reached its next statement on it.</summary>
    public Task WaitUntilBlockedAsync(string what) =>
        Eventually.True(async () => await BlockedPidAsync() is not null, what);

    /// <summary>Lets the worker's waiting statement through, and returns once the worker waits at its next one.</summary>
    public async Task PassOneAsync(string what)
    {
        await WaitUntilBlockedAsync($"the worker to wait at the gate before {what}");
        var next = await OpenAsync();
        var command = LockCommand(next);
        var locked = command.ExecuteNonQueryAsync();
        await Eventually.True(async () => await WaitingAsync(next.Pid), "the gate's next session to queue behind the worker");
        await holder.Connection.DisposeAsync();
        holder = next;
        await locked;
        await command.DisposeAsync();
        await WaitUntilBlockedAsync($"the worker to wait at the gate after {what}");
    }

    /// <summary>
    /// Ends the sessions waiting at the gate (pg_terminate_backend): those of a worker process that was killed, which
    /// PostgreSQL would otherwise run once the gate opens, as if the dead process had sent them then.
    /// </summary>
    public async Task TerminateWaitingAsync()
    {
        while (await BlockedPidAsync() is { } pid)
        {
            await using var command = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", holder.Connection, holder.Transaction);
            command.Parameters.AddWithValue("pid", pid);
            await command.ExecuteNonQueryAsync();
            await Eventually.True(async () => await BlockedPidAsync() != pid, "the dead worker's session to end");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (holder.Connection is null) return;
        await holder.Connection.DisposeAsync(); // rolls the transaction back: the row is free
        holder = default;
    }

    async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction, int Pid)> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        return (connection, transaction, connection.ProcessID);
    }

    NpgsqlCommand LockCommand((NpgsqlConnection Connection, NpgsqlTransaction Transaction, int Pid) session)
    {
        var command = new NpgsqlCommand("SELECT 1 FROM jobs WHERE kind = @kind AND key = @key FOR UPDATE", session.Connection, session.Transaction);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("key", key);
        return command;
    }

    // A session (not the gate's) that the gate's lock holds up.
    async Task<int?> BlockedPidAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE @holder = ANY(pg_blocking_pids(pid)) LIMIT 1", connection);
        command.Parameters.AddWithValue("holder", holder.Pid);
        return await command.ExecuteScalarAsync() is int pid ? pid : null;
    }

    async Task<bool> WaitingAsync(int pid)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid", connection);
        command.Parameters.AddWithValue("pid", pid);
        return await command.ExecuteScalarAsync() is true;
    }
}
