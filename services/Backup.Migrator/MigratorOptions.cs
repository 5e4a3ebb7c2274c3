using Backup.Database.Security;
using Backup.ServiceDefaults.Options;

namespace Backup.Migrator;

/// <summary>
/// Migrator:ServiceRoles:&lt;service&gt; = the login role that service's ConnectionStrings:Catalog names, e.g.
/// Migrator:ServiceRoles:Notifier = backup_notifier; the services are those of <see cref="CatalogGrants.ByService"/>
/// (checked by <see cref="CatalogRoleGrants.ApplyAsync"/>, with the configuration key in its message).
/// </summary>
public sealed class MigratorOptions : IConfigurationSection<MigratorOptions>
{
    public static string Section => "Migrator";

    public Dictionary<string, string> ServiceRoles { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
