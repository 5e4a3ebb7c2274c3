using Backup.Database.Security;
using Backup.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Backup.IntegrationTests.Security;

/// <summary>
/// A real, migrated catalog whose service roles the migrator's step granted (<see cref="CatalogGrants"/>): each
/// service's login role, connected as itself, is refused (SQLSTATE 42501) what isn't its job and allowed what is; no
/// service role can create, alter or drop anything; and the grants name every table of the model.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class When_services_connect_to_the_catalog_as_their_own_roles(TestInfrastructure infrastructure) : IAsyncLifetime
{
    const string PermissionDenied = "42501";
    static readonly TablePrivileges[] Privileges = [TablePrivileges.Select, TablePrivileges.Insert, TablePrivileges.Update, TablePrivileges.Delete];
    BackupSystem system = null!;

    public async Task InitializeAsync() => system = await BackupSystem.CreateAsync(infrastructure);

    public async Task DisposeAsync() => await system.DisposeAsync();

    static readonly (string Service, string Sql)[] NotTheirJob =
    [
        (CatalogGrants.Notifier, "UPDATE backup_runs SET current_state = 'Completed'"),
        (CatalogGrants.Notifier, "INSERT INTO jobs (kind, key, payload, state, attempts, not_before, created_at) VALUES ('dump', 'forged', '{}', 'queued', 0, now(), now())"),
        (CatalogGrants.Notifier, "INSERT INTO outbox_messages (message_type, payload, created_at, attempts) VALUES ('x', '{}', now(), 0)"),
        (CatalogGrants.Api, "DELETE FROM backup_runs"),
        (CatalogGrants.Api, "UPDATE notification_deliveries SET state = 'Sent'"),
        (CatalogGrants.Api, "SELECT * FROM audit_log"),
        (CatalogGrants.Api, "UPDATE audit_log SET actor = 'someone else'"),
        (CatalogGrants.Dumper, "SELECT * FROM schedules"),
        (CatalogGrants.Dumper, "UPDATE schedules SET enabled = FALSE"),
        (CatalogGrants.Dumper, "UPDATE backup_runs SET current_state = 'Completed'"),
        (CatalogGrants.Retention, "SELECT * FROM outbox_messages"),
        (CatalogGrants.Retention, "DELETE FROM backup_runs"),
        (CatalogGrants.Restorer, "UPDATE backup_verifications SET state = 'Passed'"),
        (CatalogGrants.Scheduler, "SELECT * FROM backup_runs"),
        (CatalogGrants.Catalog, "DELETE FROM backup_runs"),
        (CatalogGrants.Catalog, "UPDATE jobs SET state = 'finished'"),
    ];

    [Fact]
    public async Task A_role_is_refused_what_is_not_its_services_job()
    {
        foreach (var (service, sql) in NotTheirJob)
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(service, sql));
            Assert.True(refused.SqlState == PermissionDenied, $"{service}: {sql} failed with {refused.SqlState} {refused.MessageText}, not 42501");
        }
    }

    [Fact]
    public async Task No_service_role_can_create_alter_or_drop_anything()
    {
        string[] ddl =
        [
            "CREATE TABLE public.planted (id int)",
            "ALTER TABLE backup_runs ADD COLUMN planted int",
            "DROP TABLE audit_log",
            "TRUNCATE backup_runs",
            "CREATE SCHEMA planted",
        ];
        foreach (var service in CatalogGrants.ByService.Keys)
            foreach (var sql in ddl)
            {
                var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(service, sql));
                Assert.True(refused.SqlState == PermissionDenied, $"{service}: {sql} failed with {refused.SqlState} {refused.MessageText}, not 42501");
            }
    }

    /// <summary>
    /// Every service role against every table and privilege, by statements that touch no row (WHERE false): allowed
    /// exactly where <see cref="CatalogGrants"/> says, refused with 42501 everywhere else.
    /// </summary>
    [Fact]
    public async Task Each_role_may_do_exactly_what_its_grants_say()
    {
        var writable = await WritableColumnsAsync();
        var wrong = new List<string>();
        foreach (var (service, grants) in CatalogGrants.ByService)
            foreach (var table in writable.Keys)
                foreach (var privilege in Privileges)
                {
                    var granted = grants.Any(grant => grant.Table == table && grant.Privileges.HasFlag(privilege));
                    var sql = privilege switch
                    {
                        TablePrivileges.Select => $"SELECT * FROM \"{table}\" WHERE false",
                        TablePrivileges.Insert => $"INSERT INTO \"{table}\" (\"{writable[table]}\") SELECT NULL WHERE false",
                        TablePrivileges.Update => $"UPDATE \"{table}\" SET \"{writable[table]}\" = NULL WHERE false",
                        _ => $"DELETE FROM \"{table}\" WHERE false",
                    };
                    string? refusal = null;
                    try { await ExecuteAsAsync(service, sql); }
                    catch (PostgresException e) when (e.SqlState == PermissionDenied) { refusal = e.MessageText; }
                    if (granted != (refusal is null))
                        wrong.Add($"{service} {privilege} {table}: {(granted ? $"refused ({refusal})" : "allowed")}");
                }
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task A_role_that_may_only_insert_gets_back_the_id_and_nothing_else()
    {
        var id = await ScalarAsAsync<long>(CatalogGrants.Api, """
            INSERT INTO audit_log (at, actor, action, target, status, detail)
            VALUES (now(), 'operator-1', 'test', 'demo', 200, 'granted') RETURNING id
            """);
        Assert.True(id > 0);
        await using var catalog = system.Catalog();
        Assert.Equal("operator-1", (await catalog.AuditEntries.SingleAsync(a => a.Id == id)).Actor);
    }

    [Fact]
    public async Task The_grants_name_every_table_of_the_model_and_of_the_migrated_database()
    {
        await using var catalog = system.Catalog();
        var modelTables = catalog.Model.GetEntityTypes().Select(entity => entity.GetTableName()!).ToHashSet(StringComparer.Ordinal);
        var databaseTables = (await catalog.Database.SqlQuery<string>(
            $"SELECT tablename AS \"Value\" FROM pg_tables WHERE schemaname = {CatalogRoleGrants.Schema}").ToListAsync()).ToHashSet(StringComparer.Ordinal);
        var named = CatalogGrants.GrantedTables.Concat(CatalogGrants.MigratorOnly).ToHashSet(StringComparer.Ordinal);

        Assert.Empty(modelTables.Except(named).Order());
        Assert.Empty(databaseTables.Except(named).Order());
        Assert.Empty(CatalogGrants.GrantedTables.Except(databaseTables).Order());
    }

    [Fact]
    public async Task The_migrator_refuses_a_role_that_does_not_exist_and_takes_back_privileges_no_longer_granted()
    {
        await system.Postgres.ExecuteAsync(system.CatalogDatabase, $"GRANT DELETE ON backup_runs TO \"{system.ServiceRoles[CatalogGrants.Notifier]}\"");
        await system.RunMigratorAsync();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(CatalogGrants.Notifier, "DELETE FROM backup_runs WHERE false"));
        Assert.Equal(PermissionDenied, refused.SqlState);

        await using var owner = new NpgsqlConnection(system.CatalogConnectionString);
        await owner.OpenAsync();
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => CatalogRoleGrants.ApplyAsync(owner,
            new Dictionary<string, string> { [CatalogGrants.Notifier] = "backup_notifier_nobody_created" }, CancellationToken.None));
        Assert.Contains("Migrator:ServiceRoles:Notifier names role 'backup_notifier_nobody_created', which does not exist", missing.Message);
        var superuser = await Assert.ThrowsAsync<InvalidOperationException>(() => CatalogRoleGrants.ApplyAsync(owner,
            new Dictionary<string, string> { [CatalogGrants.Api] = system.Postgres.Username }, CancellationToken.None));
        Assert.Contains("Migrator:ServiceRoles:Api names", superuser.Message);
    }

    async Task ExecuteAsAsync(string service, string sql)
    {
        await using var connection = new NpgsqlConnection(system.ServiceConnectionString(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    async Task<T> ScalarAsAsync<T>(string service, string sql)
    {
        await using var connection = new NpgsqlConnection(system.ServiceConnectionString(service));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Each table of the schema with a column a row may be written to (not an identity or generated one).</summary>
    async Task<Dictionary<string, string>> WritableColumnsAsync()
    {
        await using var catalog = system.Catalog();
        var columns = await catalog.Database.SqlQuery<TableColumn>($"""
            SELECT DISTINCT ON (table_name) table_name AS "Table", column_name AS "Column" FROM information_schema.columns
            WHERE table_schema = {CatalogRoleGrants.Schema} AND is_identity = 'NO' AND is_generated = 'NEVER'
              AND table_name <> ALL({CatalogGrants.MigratorOnly.ToArray()})
            ORDER BY table_name, ordinal_position
            """).ToListAsync();
        return columns.ToDictionary(c => c.Table, c => c.Column, StringComparer.Ordinal);
    }

    sealed record TableColumn(string Table, string Column);
}
