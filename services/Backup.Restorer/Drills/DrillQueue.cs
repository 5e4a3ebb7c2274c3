using System.Text.Json;
using Backup.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Restorer.Drills;

/// <summary>What a drill job holds: the backup to drill, as its BackupCompleted named it.</summary>
public sealed record DrillJobPayload(Guid RunId, string Source, string ArtifactKey, DateTimeOffset CompletedAt, DateTimeOffset QueuedAt);

/// <summary>What <see cref="DrillQueue.EnqueueAsync"/> did.</summary>
public abstract record DrillEnqueued
{
    /// <summary>A drill job was stored (or existed already: <see cref="Again"/>).</summary>
    public sealed record Queued(bool Again) : DrillEnqueued;

    /// <summary>The source was drilled within its interval: no job; the drill that counts for it.</summary>
    public sealed record TooSoon(Guid DrilledRun, DateTimeOffset DrilledAt) : DrillEnqueued;
}

/// <summary>
/// The drill intake's side of the catalog: drill jobs (jobs of kind <see cref="JobKinds.Drill"/>, one per run, grouped by drill server so
/// one drill runs on a server at a time), the "at most one drill per interval" rule, decided under a per-source
/// transaction lock so two backups completing together can't both pass it, and the source's drill policy row
/// (drill_policies, which this service alone writes).
/// </summary>
public sealed class DrillQueue(IOptions<CatalogDatabaseOptions> catalog, TimeProvider clock) : IAsyncDisposable
{
    readonly NpgsqlDataSource database = NpgsqlDataSource.Create(catalog.Value.Catalog);

    public async Task<DrillEnqueued> EnqueueAsync(DrillJobPayload drill, string server, TimeSpan every, string? traceParent,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended('drill-source:' || @source, 0))",
            cancellationToken, ("source", drill.Source));
        if (every > TimeSpan.Zero)
        {
            // Recent drill jobs, and drills recorded in the catalog (jobs are purged after Jobs:KeepFinishedFor).
            await using var recent = new NpgsqlCommand("""
                SELECT run_id, queued_at FROM (
                    SELECT (payload->>'runId')::uuid AS run_id, created_at AS queued_at FROM jobs
                    WHERE kind = @kind AND payload->>'source' = @source AND key <> @key AND created_at > @since
                    UNION ALL
                    SELECT run_id, queued_at FROM backup_verifications
                    WHERE source = @source AND state <> 'skipped' AND run_id <> @run AND queued_at > @since) drills
                ORDER BY queued_at DESC LIMIT 1
                """, connection, transaction);
            Add(recent, ("kind", DrillJob.Kind), ("source", drill.Source), ("key", DrillJob.KeyOf(drill.RunId)), ("run", drill.RunId),
                ("since", clock.GetUtcNow() - every));
            await using (var reader = await recent.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                    return new DrillEnqueued.TooSoon(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1));
            }
        }
        var stored = await ExecuteAsync(connection, transaction, """
            INSERT INTO jobs (kind, key, "group", payload, state, attempts, not_before, created_at, trace_parent)
            VALUES (@kind, @key, @group, @payload::jsonb, 'queued', 0, @now, @now, @trace)
            ON CONFLICT (kind, key) DO NOTHING
            """, cancellationToken, ("kind", DrillJob.Kind), ("key", DrillJob.KeyOf(drill.RunId)), ("group", "drill-server:" + server),
            ("payload", JsonSerializer.Serialize(drill, JsonSerializerOptions.Web)), ("now", clock.GetUtcNow()), ("trace", traceParent));
        await transaction.CommitAsync(cancellationToken);
        return new DrillEnqueued.Queued(Again: stored == 0);
    }

    /// <summary>Records how the source is drilled (it is drilled); the retention floor, the notifier and the API read it.</summary>
    public Task RecordPolicyAsync(string source, TimeSpan every, TimeSpan rtoTarget, CancellationToken cancellationToken) =>
        ExecuteAsync("""
            INSERT INTO drill_policies (source, every, rto_target, updated_at) VALUES (@source, @every, @rto, @now)
            ON CONFLICT (source) DO UPDATE SET every = EXCLUDED.every, rto_target = EXCLUDED.rto_target, updated_at = EXCLUDED.updated_at
            WHERE drill_policies.every <> EXCLUDED.every OR drill_policies.rto_target <> EXCLUDED.rto_target
            """, cancellationToken, ("source", source), ("every", every), ("rto", rtoTarget), ("now", clock.GetUtcNow()));

    /// <summary>The source is not drilled (any more).</summary>
    public Task ForgetPolicyAsync(string source, CancellationToken cancellationToken) =>
        ExecuteAsync("DELETE FROM drill_policies WHERE source = @source", cancellationToken, ("source", source));

    public ValueTask DisposeAsync() => database.DisposeAsync();

    async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        Add(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        Add(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static void Add(NpgsqlCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value is DateTimeOffset time ? time.ToUniversalTime() : value ?? DBNull.Value);
    }
}
