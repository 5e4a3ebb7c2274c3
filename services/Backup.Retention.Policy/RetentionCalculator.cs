using System.Globalization;

namespace Backup.Retention.Policy;

/// <summary>
/// The retention decision, a pure function: the same backups, rules, time and zone always give the same answer, and
/// nothing is read or written. Days, ISO weeks (Monday first; week 1 holds the year's first Thursday) and months are
/// those of <c>zone</c> (the setting Retention:TimeZone, UTC unless configured). Per source, in order:
/// a backup whose deletion was decided already stays deleted; the newest KeepLast good ones are kept (the floor);
/// then those completed within MaxAge; then, for each calendar rule, the newest good backup of each of the newest N
/// days / weeks / months that have one (as restic's --keep-daily, --keep-weekly, --keep-monthly). Whatever no rule
/// keeps is deleted, unless a restore is reading it: then it is kept, for now.
/// </summary>
public static class RetentionCalculator
{
    public static IReadOnlyList<RetentionDecision> Decide(IEnumerable<RetainedBackup> backups, Func<string, RetentionRules> rulesOf,
        DateTimeOffset now, TimeZoneInfo zone)
    {
        var decisions = new List<RetentionDecision>();
        foreach (var source in backups.GroupBy(b => b.Source, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            decisions.AddRange(DecideSource([.. source], rulesOf(source.Key), now, zone));
        return decisions;
    }

    static IEnumerable<RetentionDecision> DecideSource(IReadOnlyList<RetainedBackup> backups, RetentionRules rules,
        DateTimeOffset now, TimeZoneInfo zone)
    {
        // Newest first; equal times ordered by run id, so the answer never depends on the input's order.
        var ordered = backups.OrderByDescending(b => b.CompletedAt).ThenBy(b => b.RunId).ToList();
        var candidates = ordered.Where(b => b.Successful && b.PendingDeletion is null).ToList();
        var floor = candidates.Take(rules.KeepLast).Select(b => b.RunId).ToHashSet();
        var calendar = new Dictionary<Guid, string>();
        var missed = new Dictionary<Guid, List<string>>();
        Bucket(candidates, rules.KeepDaily, "day", "daily", local => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), zone, calendar, missed);
        Bucket(candidates, rules.KeepWeekly, "week", "weekly", IsoWeek, zone, calendar, missed);
        Bucket(candidates, rules.KeepMonthly, "month", "monthly", local => local.ToString("yyyy-MM", CultureInfo.InvariantCulture), zone, calendar, missed);
        var cutoff = now - rules.MaxAge;
        var age = Durations.Describe(rules.MaxAge);

        foreach (var backup in ordered)
        {
            var completed = backup.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            if (!backup.Successful)
                yield return new(backup, true, RetentionCodes.NoArtifact, "no artifact: the run did not succeed");
            else if (backup.PendingDeletion is { } pending)
                yield return new(backup, false, RetentionCodes.Pending, pending);
            else if (floor.Contains(backup.RunId))
                yield return new(backup, true, RetentionCodes.Floor, $"floor: one of the newest {rules.KeepLast} good backups of {backup.Source}");
            else if (backup.CompletedAt >= cutoff)
                yield return new(backup, true, RetentionCodes.Age, $"age: completed {completed}, within {age}");
            else if (calendar.TryGetValue(backup.RunId, out var kept))
                yield return new(backup, true, RetentionCodes.Gfs, $"gfs: newest of {kept}");
            else if (backup.RestoreInProgress)
                yield return new(backup, true, RetentionCodes.Restore, "restore: due for deletion, kept while a restore job reads it");
            else if (rules.HasCalendarRules)
                yield return new(backup, false, RetentionCodes.Gfs,
                    $"gfs: completed {completed}, older than {age}; {string.Join("; ", missed[backup.RunId])}");
            else
                yield return new(backup, false, RetentionCodes.Age, $"age: completed {completed}, older than {age}");
        }
    }

    /// <summary>
    /// One calendar rule: walking the backups newest first, the first of each period is its newest; the newest
    /// <paramref name="count"/> periods keep theirs. Why every other backup is not kept by this rule goes to
    /// <paramref name="missed"/>.
    /// </summary>
    static void Bucket(IReadOnlyList<RetainedBackup> newestFirst, int count, string period, string rule, Func<DateTime, string> periodOf,
        TimeZoneInfo zone, Dictionary<Guid, string> kept, Dictionary<Guid, List<string>> missed)
    {
        if (count <= 0) return;
        string? current = null;
        var periods = 0;
        foreach (var backup in newestFirst)
        {
            var name = periodOf(TimeZoneInfo.ConvertTime(backup.CompletedAt, zone).DateTime);
            string? why;
            if (name == current)
                why = $"not the newest of {period} {name}";
            else
            {
                current = name;
                periods++;
                why = periods <= count ? null : $"{period} {name} is beyond the {count} {rule} kept";
            }
            if (why is null)
                kept.TryAdd(backup.RunId, $"{period} {name}");
            else
            {
                if (!missed.TryGetValue(backup.RunId, out var reasons)) missed[backup.RunId] = reasons = [];
                reasons.Add(why);
            }
        }
    }

    /// <summary>"2026-W40": the ISO 8601 week-numbering year and week.</summary>
    public static string IsoWeek(DateTime local) =>
        string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):00}");
}
