using System.Globalization;

namespace Backup.Retention.Policy;

/// <summary>Durations as people write them in retention settings and reasons: "30 days", "12 hours", "30 minutes", "30d", "12h".</summary>
public static class Durations
{
    public static string Describe(TimeSpan duration) =>
        duration.TotalDays >= 1 && duration.Ticks % TimeSpan.TicksPerDay == 0
            ? $"{duration.TotalDays.ToString("0", CultureInfo.InvariantCulture)} day{(duration.TotalDays == 1 ? "" : "s")}"
            : duration.TotalHours >= 1 && duration.Ticks % TimeSpan.TicksPerHour == 0
                ? $"{duration.TotalHours.ToString("0", CultureInfo.InvariantCulture)} hour{(duration.TotalHours == 1 ? "" : "s")}"
                : duration.TotalMinutes >= 1 && duration.Ticks % TimeSpan.TicksPerMinute == 0
                    ? $"{duration.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} minute{(duration.TotalMinutes == 1 ? "" : "s")}"
                    : duration.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>"30d", "12h", "90m" or a TimeSpan ("30.00:00:00"); null when it is none of them or not positive.</summary>
    public static TimeSpan? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        var unit = text[^1];
        if (unit is 'd' or 'h' or 'm' && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
            return unit switch { 'd' => TimeSpan.FromDays(count), 'h' => TimeSpan.FromHours(count), _ => TimeSpan.FromMinutes(count) };
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
    }
}
