using Backup.Database.Scheduling;
using Backup.Scheduler.Scheduling;

namespace Backup.Scheduler.Tests.Scheduling;

/// <summary>
/// The schedules and schedule_occurrences tables in memory, with the same rules as the catalog's SQL (seeding by
/// origin, insert-if-absent claims, take-over of unpublished claims), for fast tests of the worker's loop.
/// The SQL itself is tested on PostgreSQL by the integration tests.
/// </summary>
sealed class InMemoryScheduleStore : IScheduleStore
{
    readonly Lock gate = new();
    readonly Dictionary<string, (StoredSchedule Schedule, string Origin)> schedules = new();
    readonly Dictionary<(string, DateTimeOffset), Row> occurrences = new();

    public sealed record Row(ClaimedOccurrence Occurrence, DateTimeOffset ClaimedAt, string Holder, DateTimeOffset? PublishedAt);

    public Task SeedAsync(IReadOnlyDictionary<string, (string Cron, string TimeZone)> configured, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        lock (gate)
        {
            foreach (var (source, (cron, zone)) in configured)
                if (!schedules.TryGetValue(source, out var row) || row.Origin == ScheduleOrigins.Configuration)
                    schedules[source] = (new StoredSchedule(source, cron, zone, true), ScheduleOrigins.Configuration);
            foreach (var (source, row) in schedules.ToList())
                if (row.Origin == ScheduleOrigins.Configuration && !configured.ContainsKey(source))
                    schedules[source] = (row.Schedule with { Enabled = false }, row.Origin);
        }
        return Task.CompletedTask;
    }

    public void Put(StoredSchedule schedule, string origin = ScheduleOrigins.Api)
    {
        lock (gate) schedules[schedule.Source] = (schedule, origin);
    }

    public Task<IReadOnlyList<StoredSchedule>> ReadSchedulesAsync(CancellationToken cancellationToken)
    {
        lock (gate) return Task.FromResult<IReadOnlyList<StoredSchedule>>(schedules.Values.Select(s => s.Schedule).ToList());
    }

    public Task<DateTimeOffset?> LatestOccurrenceAsync(string source, CancellationToken cancellationToken)
    {
        lock (gate)
            return Task.FromResult(occurrences.Keys.Where(k => k.Item1 == source).Select(k => (DateTimeOffset?)k.Item2).Max());
    }

    public Task<bool> ClaimAsync(ClaimedOccurrence occurrence, DateTimeOffset now, string holder, CancellationToken cancellationToken)
    {
        lock (gate)
            return Task.FromResult(occurrences.TryAdd((occurrence.Source, occurrence.Occurrence.ToUniversalTime()),
                new Row(occurrence with { Occurrence = occurrence.Occurrence.ToUniversalTime() }, now, holder, null)));
    }

    public Task MarkPublishedAsync(string source, DateTimeOffset occurrence, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var key = (source, occurrence.ToUniversalTime());
            if (occurrences[key].PublishedAt is null) occurrences[key] = occurrences[key] with { PublishedAt = now };
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ClaimedOccurrence>> TakeOverUnpublishedAsync(DateTimeOffset claimedBefore, DateTimeOffset now,
        string holder, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var taken = occurrences.Where(o => o.Value.PublishedAt is null && o.Value.ClaimedAt < claimedBefore).ToList();
            foreach (var (key, row) in taken) occurrences[key] = row with { ClaimedAt = now, Holder = holder };
            return Task.FromResult<IReadOnlyList<ClaimedOccurrence>>(taken.Select(o => o.Value.Occurrence).ToList());
        }
    }

    public Row[] Occurrences()
    {
        lock (gate) return occurrences.Values.OrderBy(r => r.Occurrence.Occurrence).ToArray();
    }
}
