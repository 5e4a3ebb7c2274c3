using Backup.Database;
using Backup.Database.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Backup.Migrator;

public static class ServiceRoleGrants
{
    /// <summary>
    /// The migrator's step "grant service roles", after the migrations: each service role of Migrator:ServiceRoles
    /// gets exactly its grants of <see cref="CatalogGrants"/> (<see cref="CatalogRoleGrants"/>); throws (exit non-zero)
    /// when a configured role is missing, is the owner, or is a superuser.
    /// </summary>
    public static async Task GrantServiceRolesAsync(this IHost host)
    {
        var roles = host.Services.GetRequiredService<IOptions<MigratorOptions>>().Value.ServiceRoles;
        await using var scope = host.Services.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var connection = (NpgsqlConnection)catalog.Database.GetDbConnection();
        await connection.OpenAsync();
        var outcome = await CatalogRoleGrants.ApplyAsync(connection, roles, CancellationToken.None);
        if (outcome.Granted.Count > 0)
            Console.WriteLine($"Service roles granted: {string.Join(", ", outcome.Granted.Select(service => $"{service} ({roles[service]})"))}.");
        if (outcome.NotConfigured.Count > 0)
            Console.WriteLine($"No Migrator:ServiceRoles for {string.Join(", ", outcome.NotConfigured)}: their catalog privileges are left as they are.");
    }
}
