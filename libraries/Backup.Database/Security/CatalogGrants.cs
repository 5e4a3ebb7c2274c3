namespace Backup.Database.Security;

/// <summary>What a role may do to a table's rows.</summary>
[Flags]
public enum TablePrivileges
{
    None = 0,
    Select = 1,
    Insert = 2,
    Update = 4,
    Delete = 8,
}

/// <summary>
/// One table's privileges for one service. <paramref name="ReturnedColumns"/>: columns the service may read back
/// although it may not read the table (an identity id that EF Core's INSERT … RETURNING gives back), granted as
/// column SELECT.
/// </summary>
public sealed record TableGrant(string Table, TablePrivileges Privileges, params string[] ReturnedColumns)
{
    /// <summary>The privilege list of a GRANT statement, e.g. "SELECT, INSERT" or "INSERT, SELECT (id)".</summary>
    public string Sql
    {
        get
        {
            var privileges = new[] { TablePrivileges.Select, TablePrivileges.Insert, TablePrivileges.Update, TablePrivileges.Delete }
                .Where(privilege => Privileges.HasFlag(privilege)).Select(privilege => privilege.ToString().ToUpperInvariant());
            if (ReturnedColumns.Length > 0) privileges = privileges.Append($"SELECT ({string.Join(", ", ReturnedColumns)})");
            return string.Join(", ", privileges);
        }
    }
}

/// <summary>
/// The one source of truth of what each service may do in the catalog database, read from its code (every DbSet and
/// every SQL statement it runs, including the shared libraries it calls: the job queue, the artifact deletions, the
/// saga repository). The migrator owns the schema and applies these grants to each service's login role after every
/// migration (<see cref="CatalogRoleGrants"/>); a table of the model that no entry names fails the tests. Identity
/// columns need no sequence privilege (PostgreSQL draws an identity's value for whoever may INSERT the row), so none is
/// granted. <c>SELECT … FOR UPDATE</c> and <c>INSERT … ON CONFLICT DO UPDATE</c> need UPDATE as well as SELECT.
/// </summary>
public static class CatalogGrants
{
    const TablePrivileges Read = TablePrivileges.Select;
    const TablePrivileges ReadWrite = TablePrivileges.Select | TablePrivileges.Insert | TablePrivileges.Update;
    const TablePrivileges All = ReadWrite | TablePrivileges.Delete;

    /// <summary>The service names, as in <c>Migrator:ServiceRoles:&lt;service&gt;</c>.</summary>
    public const string Api = "Api", Catalog = "Catalog", Dumper = "Dumper", Notifier = "Notifier",
        Restorer = "Restorer", Retention = "Retention", Scheduler = "Scheduler";

    /// <summary>The catalog tables no service touches (the migrator's own).</summary>
    public static readonly IReadOnlySet<string> MigratorOnly = new HashSet<string>(StringComparer.Ordinal) { "__EFMigrationsHistory" };

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<TableGrant>> ByService = new Dictionary<string, IReadOnlyList<TableGrant>>(StringComparer.OrdinalIgnoreCase)
    {
        // The saga's rows (inserted, locked, updated; never deleted) and their timeline; the time-out sweeper reads the
        // dump jobs' heartbeats; the outbox it writes, dispatches and purges; the verifications the drills report; the
        // row counts of completed runs it records and compares.
        [Catalog] =
        [
            new("backup_runs", ReadWrite),
            new("backup_run_tables", TablePrivileges.Select | TablePrivileges.Insert),
            new("backup_run_transitions", TablePrivileges.Insert, "id"),
            new("jobs", Read),
            new("outbox_messages", All),
            new("backup_verifications", ReadWrite),
        ],
        // Its dump jobs (enqueue, claim, heartbeat, finish, purge finished ones) and whether a run is already over.
        [Dumper] =
        [
            new("jobs", All),
            new("backup_runs", Read),
        ],
        // Its delivery ledger and stale alarms; reads runs, schedules, drill policies and verifications for the mails.
        [Notifier] =
        [
            new("notification_deliveries", ReadWrite),
            new("stale_alarms", ReadWrite),
            new("backup_runs", Read),
            new("schedules", Read),
            new("drill_policies", Read),
            new("backup_verifications", Read),
        ],
        // Its restore and drill jobs, the drill policies it keeps from its configuration; reads which artifacts are
        // pending deletion and which backups were verified.
        [Restorer] =
        [
            new("jobs", All),
            new("drill_policies", All),
            new("artifact_deletions", Read),
            new("backup_verifications", Read),
        ],
        // The sweep: plans from runs, verifications and drill policies, checks restore jobs, marks and completes
        // deletions, and puts BackupExpired in the outbox (the catalog service publishes it).
        [Retention] =
        [
            new("artifact_deletions", ReadWrite),
            new("outbox_messages", TablePrivileges.Insert, "id"),
            new("backup_runs", Read),
            new("backup_verifications", Read),
            new("drill_policies", Read),
            new("jobs", Read),
        ],
        // The schedules seeded from its configuration and the occurrences it claims and publishes.
        [Scheduler] =
        [
            new("schedules", ReadWrite),
            new("schedule_occurrences", ReadWrite),
        ],
        // Reads what it shows; writes its audit rows, its unconfirmed requests, the schedules PUT /sources changes,
        // and the deletions DELETE /runs/{id}/artifact makes (with their BackupExpired in the outbox).
        [Api] =
        [
            new("audit_log", TablePrivileges.Insert, "id"),
            new("unconfirmed_requests", All),
            new("schedules", TablePrivileges.Select | TablePrivileges.Update),
            new("artifact_deletions", ReadWrite),
            new("outbox_messages", TablePrivileges.Insert, "id"),
            new("backup_runs", Read),
            new("backup_run_transitions", Read),
            new("backup_verifications", Read),
            new("drill_policies", Read),
            new("jobs", Read),
        ],
    };

    /// <summary>Every table some service is granted.</summary>
    public static IEnumerable<string> GrantedTables => ByService.Values.SelectMany(grants => grants).Select(grant => grant.Table).Distinct();
}
