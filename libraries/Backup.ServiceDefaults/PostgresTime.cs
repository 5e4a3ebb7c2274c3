namespace Backup.ServiceDefaults;

/// <summary>Times as PostgreSQL keeps them.</summary>
public static class PostgresTime
{
    /// <summary>
    /// <paramref name="value"/> in UTC (timestamptz takes UTC only) cut to PostgreSQL's microseconds, so the time
    /// written is the time read back and compares equal after a round trip.
    /// </summary>
    public static DateTimeOffset ToPostgresPrecision(this DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % 10));
    }

    /// <inheritdoc cref="ToPostgresPrecision(DateTimeOffset)"/>
    public static DateTimeOffset? ToPostgresPrecision(this DateTimeOffset? value) => value?.ToPostgresPrecision();
}
