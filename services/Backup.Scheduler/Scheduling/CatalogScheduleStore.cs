using Backup.Database.Scheduling;
using Npgsql;

namespace Backup.Scheduler.Scheduling;

/// <summary><see cref="IScheduleStore"/> on the catalog database (tables made by the migrator), in plain SQL.</summary>
public sealed class CatalogScheduleStore(NpgsqlDataSource database) : IScheduleStore, IAsyncDisposable
{
    public async Task SeedAsync(IReadOnlyDictionary<string, (string Cron, string TimeZone)> configured, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (source, (cron, timeZone)) in configured)
        {
            await using var upsert = new NpgsqlCommand("""
                INSERT INTO schedules (source, cron, time_zone, enabled, origin, updated_at, updated_by)
                VALUES (@source, @cron, @zone, TRUE, @configuration, @now, @configuration)
                ON CONFLICT (source) DO UPDATE
                SET cron = excluded.cron, time_zone = excluded.time_zone, enabled = TRUE,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by
                WHERE schedules.origin = @configuration
                  AND (schedules.cron, schedules.time_zone, schedules.enabled) IS DISTINCT FROM (excluded.cron, excluded.time_zone, TRUE)
                """, connection, transaction);
            Add(upsert, ("source", source), ("cron", cron), ("zone", timeZone), ("configuration", ScheduleOrigins.Configuration), ("now", now));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var disable = new NpgsqlCommand("""
            UPDATE schedules SET enabled = FALSE, updated_at = @now, updated_by = @configuration
            WHERE origin = @configuration AND enabled AND NOT (source = ANY(@configured))
            """, connection, transaction);
        Add(disable, ("configuration", ScheduleOrigins.Configuration), ("now", now), ("configured", configured.Keys.ToArray()));
        await disable.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredSchedule>> ReadSchedulesAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT source, cron, time_zone, enabled FROM schedules ORDER BY source");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var schedules = new List<StoredSchedule>();
        while (await reader.ReadAsync(cancellationToken))
            schedules.Add(new StoredSchedule(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        return schedules;
    }

    public async Task<DateTimeOffset?> LatestOccurrenceAsync(string source, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT max(occurrence) FROM schedule_occurrences WHERE source = @source");
        Add(command, ("source", source));
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime latest
            ? new DateTimeOffset(DateTime.SpecifyKind(latest, DateTimeKind.Utc))
            : null;
    }

    public async Task<bool> ClaimAsync(ClaimedOccurrence occurrence, DateTimeOffset now, string holder, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO schedule_occurrences (source, occurrence, run_id, claimed_at, claimed_by, published_at, caught_up)
            VALUES (@source, @occurrence, @run, @now, @holder, NULL, @caughtUp)
            ON CONFLICT DO NOTHING
            """);
        Add(command, ("source", occurrence.Source), ("occurrence", occurrence.Occurrence), ("run", occurrence.RunId),
            ("now", now), ("holder", holder), ("caughtUp", occurrence.CaughtUp));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task MarkPublishedAsync(string source, DateTimeOffset occurrence, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            UPDATE schedule_occurrences SET published_at = @now
            WHERE source = @source AND occurrence = @occurrence AND published_at IS NULL
            """);
        Add(command, ("source", source), ("occurrence", occurrence), ("now", now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ClaimedOccurrence>> TakeOverUnpublishedAsync(DateTimeOffset claimedBefore, DateTimeOffset now,
        string holder, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            UPDATE schedule_occurrences SET claimed_at = @now, claimed_by = @holder
            WHERE published_at IS NULL AND claimed_at < @before
            RETURNING source, occurrence, run_id, caught_up
            """);
        Add(command, ("now", now), ("holder", holder), ("before", claimedBefore));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var taken = new List<ClaimedOccurrence>();
        while (await reader.ReadAsync(cancellationToken))
            taken.Add(new ClaimedOccurrence(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetGuid(2), reader.GetBoolean(3)));
        return taken;
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();

    static void Add(NpgsqlCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value is DateTimeOffset time ? time.ToUniversalTime() : value ?? DBNull.Value);
    }
}
