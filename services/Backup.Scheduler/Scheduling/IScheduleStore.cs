namespace Backup.Scheduler.Scheduling;

/// <summary>A source's schedule as stored in the <c>schedules</c> table; not yet validated.</summary>
public sealed record StoredSchedule(string Source, string Cron, string TimeZone, bool Enabled);

/// <summary>An occurrence claimed but not yet published, as the scheduler publishes it.</summary>
public sealed record ClaimedOccurrence(string Source, DateTimeOffset Occurrence, Guid RunId, bool CaughtUp);

/// <summary>
/// Where schedules and their occurrences live: the catalog database's <c>schedules</c> and <c>schedule_occurrences</c>
/// tables, shared by every scheduler instance. The primary key of an occurrence (source, instant) is what makes it
/// fire once across instances.
/// </summary>
public interface IScheduleStore
{
    /// <summary>
    /// Writes the configured schedules: inserts missing rows (origin "configuration"), updates rows of origin
    /// "configuration" whose values differ, disables rows of origin "configuration" no longer configured, and leaves
    /// rows of origin "api" alone.
    /// </summary>
    Task SeedAsync(IReadOnlyDictionary<string, (string Cron, string TimeZone)> configured, DateTimeOffset now,
        CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredSchedule>> ReadSchedulesAsync(CancellationToken cancellationToken);

    /// <summary>The latest occurrence of the source ever claimed, or null.</summary>
    Task<DateTimeOffset?> LatestOccurrenceAsync(string source, CancellationToken cancellationToken);

    /// <summary>Inserts the occurrence unless any instance has (ON CONFLICT DO NOTHING); true when this call inserted it.</summary>
    Task<bool> ClaimAsync(ClaimedOccurrence occurrence, DateTimeOffset now, string holder, CancellationToken cancellationToken);

    Task MarkPublishedAsync(string source, DateTimeOffset occurrence, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Takes over occurrences claimed before <paramref name="claimedBefore"/> and still unpublished (their claimer died
    /// between claiming and publishing): renews their claim for <paramref name="holder"/> in one statement, so of several
    /// instances looking at once only one gets each, and returns them.
    /// </summary>
    Task<IReadOnlyList<ClaimedOccurrence>> TakeOverUnpublishedAsync(DateTimeOffset claimedBefore, DateTimeOffset now,
        string holder, CancellationToken cancellationToken);
}
