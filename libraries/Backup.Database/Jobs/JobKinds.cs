namespace Backup.Database.Jobs;

/// <summary>
/// The kinds of work in the jobs table, and each job's key: the one definition every service reads and writes them
/// by (the dumper, the restorer, the catalog's time-out sweeper, the API, retention).
/// </summary>
public static class JobKinds
{
    /// <summary>A backup run's dump (the dumper); key: the run id, grouped by source.</summary>
    public const string Dump = "dump";

    /// <summary>A restore (the restorer); key: the restore id, payload: the RestoreRequested.</summary>
    public const string Restore = "restore";

    /// <summary>A restore drill of a run's backup (the restorer); key: the run id, grouped by drill server.</summary>
    public const string Drill = "drill";

    /// <summary>A job's key for <paramref name="id"/> (a run id or a restore id): 32 hex digits, no hyphens.</summary>
    public static string KeyOf(Guid id) => id.ToString("N");

    /// <summary>SQL: <see cref="KeyOf"/> of a uuid column or expression, e.g. KeySql("r.correlation_id").</summary>
    public static string KeySql(string uuid) => $"replace({uuid}::text, '-', '')";

    /// <summary>
    /// SQL: the artifact key a restore or drill job reads, from its jsonb payload: a restore job's payload holds its
    /// request (RestoreJobPayload.Request.ArtifactKey), a drill job's the key itself (DrillJobPayload.ArtifactKey).
    /// </summary>
    public const string ArtifactKeySql = "COALESCE(payload->'request'->>'artifactKey', payload->>'artifactKey')";
}
