using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Api.Options;

/// <summary>The API's own limits (section "Api").</summary>
public sealed class ApiOptions : IConfigurationSection<ApiOptions>
{
    public static string Section => "Api";

    /// <summary>How long a trigger or restore request waits for the broker to confirm that a queue took its message before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after a 503 for an unconfirmed publish the same caller's retry of the same request (without an
    /// Idempotency-Key) is still the same run or restore, in case the broker took the first one after all.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan UnconfirmedRetryWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Backup triggers and restore requests a caller may make per minute (fixed window per caller).</summary>
    [Range(1, 10_000)] public int RequestsPerMinute { get; set; } = 10;

    /// <summary>Artifact downloads a caller may start per minute (fixed window per caller, counted apart from the requests above; each Range request counts).</summary>
    [Range(1, 10_000)] public int DownloadsPerMinute { get; set; } = 60;

    /// <summary>The largest page of a list.</summary>
    [Range(1, 1000)] public int MaxPageSize { get; set; } = 200;
}
