namespace Backup.Retention.Policy;

/// <summary>
/// What retention keeps of one source. A good backup is kept when any rule keeps it: it is one of the newest
/// <see cref="KeepLast"/> good backups (the floor), it completed within <see cref="MaxAge"/>, or it is the newest good
/// backup of one of the newest <see cref="KeepDaily"/> days, <see cref="KeepWeekly"/> ISO weeks or
/// <see cref="KeepMonthly"/> months that have one (grandfather-father-son; 0 turns a rule off).
/// <see cref="DrillsOn"/>: restore drills prove the source's backups (the catalog has a drill_policies row for it), so
/// only what they proved counts: the floor is the newest KeepLast verified backups (topped up with the newest
/// unproven ones while fewer are verified), and a backup whose drill failed is not good (<see cref="RetentionCalculator"/>).
/// </summary>
public sealed record RetentionRules(TimeSpan MaxAge, int KeepLast = 3, int KeepDaily = 0, int KeepWeekly = 0, int KeepMonthly = 0,
    bool DrillsOn = false)
{
    public static RetentionRules Default { get; } = new(TimeSpan.FromDays(30));

    public bool HasCalendarRules => KeepDaily > 0 || KeepWeekly > 0 || KeepMonthly > 0;

    /// <summary>For people: "max age 30 days, newest 3 kept, 4 weekly, 3 monthly" (drills on: "newest 3 verified kept").</summary>
    public override string ToString()
    {
        var parts = new List<string> { $"max age {Durations.Describe(MaxAge)}", DrillsOn ? $"newest {KeepLast} verified kept" : $"newest {KeepLast} kept" };
        if (KeepDaily > 0) parts.Add($"{KeepDaily} daily");
        if (KeepWeekly > 0) parts.Add($"{KeepWeekly} weekly");
        if (KeepMonthly > 0) parts.Add($"{KeepMonthly} monthly");
        return string.Join(", ", parts);
    }
}
