using Npgsql;

namespace Backup.Database.Security;

/// <summary>What <see cref="CatalogRoleGrants.ApplyAsync"/> did: the services whose roles were granted, and those left out.</summary>
public sealed record GrantOutcome(IReadOnlyList<string> Granted, IReadOnlyList<string> NotConfigured);

/// <summary>
/// The migrator's step "grant service roles", run as the schema's owner after the migrations: in one transaction,
/// PUBLIC loses its default privileges on the schema, and each configured service role (service → role name, e.g.
/// Migrator:ServiceRoles:Notifier = backup_notifier) loses every table and sequence privilege it held and gets
/// CONNECT on the database, USAGE on the schema, and exactly its rows of <see cref="CatalogGrants"/>. Applied after every migration, so a new
/// table is granted as soon as it exists and a privilege taken out of the table is taken from the role too. A
/// configured role that doesn't exist, is the owner itself, or is a superuser (whom no grant limits) is an error;
/// a service without a configured role is left as it is and reported (it connects as a role its DBA grants by hand).
/// The login roles themselves are the DBA's (they carry passwords); the migrator only grants.
/// </summary>
public static class CatalogRoleGrants
{
    public const string Schema = "public";

    public static async Task<GrantOutcome> ApplyAsync(NpgsqlConnection owner, IReadOnlyDictionary<string, string> roles,
        CancellationToken cancellationToken)
    {
        foreach (var (service, role) in roles)
        {
            if (!CatalogGrants.ByService.ContainsKey(service))
                throw new InvalidOperationException(
                    $"Migrator:ServiceRoles:{service}: no service of that name; the services are {string.Join(", ", CatalogGrants.ByService.Keys)}.");
            if (string.IsNullOrWhiteSpace(role))
                throw new InvalidOperationException($"Migrator:ServiceRoles:{service} is empty; give the role the {service} service logs in as.");
        }
        var notConfigured = CatalogGrants.ByService.Keys.Where(service => !roles.Keys.Contains(service, StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
        if (roles.Count == 0) return new GrantOutcome([], notConfigured);

        await using var transaction = await owner.BeginTransactionAsync(cancellationToken);
        foreach (var (service, role) in roles) await CheckRoleAsync(owner, transaction, service, role, cancellationToken);

        var database = Quote(owner.Database);
        await ExecuteAsync(owner, transaction, $"REVOKE ALL ON SCHEMA {Schema} FROM PUBLIC", cancellationToken);
        foreach (var role in roles.Values.Distinct(StringComparer.Ordinal).Select(Quote))
            await ExecuteAsync(owner, transaction, $"""
                REVOKE ALL ON ALL TABLES IN SCHEMA {Schema} FROM {role};
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA {Schema} FROM {role};
                REVOKE ALL ON SCHEMA {Schema} FROM {role};
                GRANT CONNECT ON DATABASE {database} TO {role};
                GRANT USAGE ON SCHEMA {Schema} TO {role};
                """, cancellationToken);
        foreach (var (service, role) in roles)
            foreach (var grant in CatalogGrants.ByService[service])
                await ExecuteAsync(owner, transaction, $"GRANT {grant.Sql} ON {Schema}.{Quote(grant.Table)} TO {Quote(role)}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new GrantOutcome([.. roles.Keys.Order(StringComparer.Ordinal)], notConfigured);
    }

    static async Task CheckRoleAsync(NpgsqlConnection owner, NpgsqlTransaction transaction, string service, string role,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = @role", owner, transaction);
        command.Parameters.AddWithValue("role", role);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new InvalidOperationException(
                $"Migrator:ServiceRoles:{service} names role '{role}', which does not exist on the catalog's server; create it (the DBA's step, with its password) before the migrator runs.");
        if (reader.GetBoolean(1))
            throw new InvalidOperationException(
                $"Migrator:ServiceRoles:{service} names '{role}', the schema's owner the migrator runs as; the {service} service needs a login role of its own.");
        if (reader.GetBoolean(0))
            throw new InvalidOperationException(
                $"Migrator:ServiceRoles:{service} names '{role}', a superuser, whom no grant limits; the {service} service needs an ordinary login role.");
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An identifier quoted for SQL (role names come from configuration).</summary>
    static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
