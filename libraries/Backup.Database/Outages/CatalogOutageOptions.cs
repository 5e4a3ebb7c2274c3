using System.ComponentModel.DataAnnotations;
using Backup.ServiceDefaults.Options;

namespace Backup.Database.Outages;

/// <summary>How long a message that needs the catalog database waits for it: section "CatalogOutage", every service that uses the catalog.</summary>
public sealed class CatalogOutageOptions : IConfigurationSection<CatalogOutageOptions>
{
    public static string Section => "CatalogOutage";

    /// <summary>
    /// While the catalog database is unavailable, a consumer that needs it keeps its message (unacknowledged) and tries
    /// again after 1, 2, 4, 8, 16 and then every 30 s, for this long in all; past it the message goes to its endpoint's
    /// _error queue (the notifier's goes back to its queue). At most 25 minutes: RabbitMQ's consumer_timeout (30 min)
    /// closes the channel of a consumer that holds a message longer.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:25:00", ErrorMessage = "must be between 1 and 25 minutes: RabbitMQ's consumer_timeout (30 minutes) closes a consumer that holds a message longer.")]
    public TimeSpan RideOut { get; set; } = TimeSpan.FromMinutes(15);
}
