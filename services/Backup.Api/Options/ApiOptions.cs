using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Api.Options;

/// <summary>The API's own limits (section "Api").</summary>
public sealed class ApiOptions : IConfigurationSection<ApiOptions>
{
    public static string Section => "Api";

    /// <summary>How long a trigger or restore request waits for the broker to take its message before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Backup triggers and restore requests a caller may make per minute (fixed window per caller).</summary>
    [Range(1, 10_000)] public int RequestsPerMinute { get; set; } = 10;

    /// <summary>The largest page of a list.</summary>
    [Range(1, 1000)] public int MaxPageSize { get; set; } = 200;
}
