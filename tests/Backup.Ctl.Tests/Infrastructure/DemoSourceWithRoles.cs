namespace Backup.Ctl.Tests.Infrastructure;

/// <summary>
/// The demo source as a platform keeps it: its billing schema and tables owned by an application role that is not a
/// superuser, and read by a reporting role (GRANT USAGE ON SCHEMA billing, GRANT SELECT ON its tables), both roles of
/// the main server only. Its archive holds ALTER … OWNER TO and GRANT … TO those roles, which fail on
/// <see cref="Bare"/>, a server that has none of them, as a disaster-recovery server is.
/// </summary>
public sealed class DemoSourceWithRoles : DemoSource
{
    readonly List<string> bareDatabases = [];

    /// <summary>The bare server (BACKUP_BARE_PG_*): its only role is its own superuser.</summary>
    public PostgresServer Bare { get; } = PostgresServer.BareFromEnvironment();

    public string OwnerRole => $"ctl_owner_{id}";
    public string ReaderRole => $"ctl_reader_{id}";

    /// <summary>A fresh name for a database a test restores into on the bare server; dropped at the end of the run.</summary>
    public string NewBareTargetName()
    {
        var name = $"ctl_bare_{id}_{bareDatabases.Count}";
        bareDatabases.Add(name);
        return name;
    }

    protected override async Task AfterSeedAsync()
    {
        await Postgres.ExecuteAsync("postgres", $"CREATE ROLE {OwnerRole} NOLOGIN; CREATE ROLE {ReaderRole} NOLOGIN");
        await Postgres.ExecuteAsync(Database, $"""
            ALTER SCHEMA billing OWNER TO {OwnerRole};
            ALTER TABLE billing.invoices OWNER TO {OwnerRole};
            GRANT USAGE ON SCHEMA billing TO {ReaderRole};
            GRANT SELECT ON ALL TABLES IN SCHEMA billing, public TO {ReaderRole};
            """);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in bareDatabases)
            await Bare.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        await base.DisposeAsync(); // the source and what was restored on the main server: nothing refers to the roles any more
        await Postgres.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {OwnerRole}; DROP ROLE IF EXISTS {ReaderRole}");
    }
}
