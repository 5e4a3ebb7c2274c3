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
/// <para>
/// Where drills are on for the source (<see cref="RetentionRules.DrillsOn"/>), only what they proved counts. A backup
/// whose drill failed is not good: neither the floor nor a calendar rule keeps it; MaxAge keeps it like any backup,
/// then it is deleted. The floor is the newest KeepLast verified (passed) backups, so the newest verified backup is
/// never deleted; while fewer than KeepLast are verified (drills just turned on, or the recent ones failed), the
/// newest unproven ones (drill pending, skipped, or none yet) fill the places left. Should that leave the floor empty
/// (every backup left failed its drill) and MaxAge keep none of them, the newest is kept all the same (code
/// last-resort): a source is never left without a backup. Unproven backups may be picked by the calendar rules.
/// Where drills are off, verifications are ignored and the rules above stand as they are.
/// </para>
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
        // Where drills are on, a backup whose drill failed is not good: the floor and the calendar rules never count it.
        var good = candidates.Where(b => !NotGood(b, rules)).ToList();
        var floor = Floor(good, rules);
        // Every backup left failed its drill: the newest is kept if nothing else keeps one (never no backup at all).
        var lastResort = rules.DrillsOn && good.Count == 0 ? candidates.FirstOrDefault()?.RunId : null;
        var calendar = new Dictionary<Guid, string>();
        var missed = new Dictionary<Guid, List<string>>();
        Bucket(good, rules.KeepDaily, "day", "daily", local => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), zone, calendar, missed);
        Bucket(good, rules.KeepWeekly, "week", "weekly", IsoWeek, zone, calendar, missed);
        Bucket(good, rules.KeepMonthly, "month", "monthly", local => local.ToString("yyyy-MM", CultureInfo.InvariantCulture), zone, calendar, missed);
        var cutoff = now - rules.MaxAge;
        var age = Durations.Describe(rules.MaxAge);

        foreach (var backup in ordered)
        {
            var completed = backup.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var notGood = NotGood(backup, rules);
            if (!backup.Successful)
                yield return new(backup, true, RetentionCodes.NoArtifact, "no artifact: the run did not succeed");
            else if (backup.PendingDeletion is { } pending)
                yield return new(backup, false, RetentionCodes.Pending, pending);
            else if (floor.TryGetValue(backup.RunId, out var floorReason))
                yield return new(backup, true, RetentionCodes.Floor, floorReason);
            else if (backup.CompletedAt >= cutoff)
                yield return new(backup, true, RetentionCodes.Age, notGood
                    ? $"age: completed {completed}, within {age}; not good: {DrillFailed(backup)}, so it does not count for the floor"
                    : $"age: completed {completed}, within {age}");
            else if (calendar.TryGetValue(backup.RunId, out var kept))
                yield return new(backup, true, RetentionCodes.Gfs, $"gfs: newest of {kept}");
            else if (backup.RunId == lastResort)
                yield return new(backup, true, RetentionCodes.LastResort,
                    $"last resort: not good ({DrillFailed(backup)}), but the newest backup of {backup.Source}, none of which is verified " +
                    "or awaiting a drill; a source is never left without a backup");
            else if (backup.RestoreInProgress)
                yield return new(backup, true, RetentionCodes.Restore, "restore: due for deletion, kept while a restore job reads it");
            else if (notGood)
                yield return new(backup, false, RetentionCodes.Age,
                    $"age: completed {completed}, older than {age}; not good: {DrillFailed(backup)}, so neither the floor nor a calendar rule keeps it");
            else if (rules.HasCalendarRules)
                yield return new(backup, false, RetentionCodes.Gfs,
                    $"gfs: completed {completed}, older than {age}; {string.Join("; ", missed[backup.RunId])}");
            else
                yield return new(backup, false, RetentionCodes.Age, $"age: completed {completed}, older than {age}");
        }
    }

    static bool NotGood(RetainedBackup backup, RetentionRules rules) => rules.DrillsOn && backup.Drill == DrillOutcome.Failed;

    /// <summary>
    /// The floor, with the reason of each backup in it: the newest KeepLast good backups; where drills are on, the
    /// newest KeepLast verified ones, and while fewer are verified the newest unproven ones in the places left.
    /// </summary>
    static Dictionary<Guid, string> Floor(IReadOnlyList<RetainedBackup> good, RetentionRules rules)
    {
        if (good.Count == 0) return [];
        var source = good[0].Source;
        var keep = rules.KeepLast;
        if (!rules.DrillsOn)
            return good.Take(keep).ToDictionary(b => b.RunId, _ => $"floor: one of the newest {keep} good backups of {source}");

        var verified = good.Where(b => b.Drill == DrillOutcome.Passed).Take(keep).ToList();
        var floor = verified.ToDictionary(b => b.RunId, _ => $"floor: one of the newest {keep} verified backups of {source}");
        var open = keep - verified.Count;
        var why = verified.Count == 0
            ? $"no backup of {source} is verified yet, so the newest {keep} unproven ones stand in"
            : $"only {verified.Count} backup{(verified.Count == 1 ? "" : "s")} of {source} {(verified.Count == 1 ? "is" : "are")} verified, " +
              $"so the newest unproven ones fill the other {open} of its {keep} places";
        foreach (var unproven in good.Where(b => b.Drill != DrillOutcome.Passed).Take(open))
            floor[unproven.RunId] = $"floor: {why} (this one: {Unproven(unproven)})";
        return floor;
    }

    static string Unproven(RetainedBackup backup) => backup.Drill switch
    {
        DrillOutcome.Pending => "its drill is pending",
        DrillOutcome.Skipped => "its drill was skipped",
        _ => "no drill has checked it",
    };

    static string DrillFailed(RetainedBackup backup) =>
        backup.DrillError is { Length: > 0 } code ? $"its restore drill failed ({code})" : "its restore drill failed";

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
