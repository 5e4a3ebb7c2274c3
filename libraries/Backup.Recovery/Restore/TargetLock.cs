using Npgsql;

namespace Backup.Recovery.Restore;

/// <summary>
/// One restore per target database at a time, whoever runs it (restorer instances, backupctl): a session-level
/// PostgreSQL advisory lock on the restore server, keyed by the target's name and held on the maintenance
/// connection for as long as the restore runs (a process that dies lets go with its connection). A second restore
/// into the same database fails at once with TargetBusy instead of dropping or filling it under the first one.
/// </summary>
static class TargetLock
{
    public static async Task TakeAsync(NpgsqlConnection maintenance, string target, string server, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended('backup-restore:' || $1, 0))", maintenance);
        command.Parameters.Add(new NpgsqlParameter { Value = target });
        if (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            throw new RecoveryException(RecoveryErrorCode.TargetBusy,
                $"Another restore into database {target} on {server} is running; nothing was changed. Wait for it to end, or restore into another database.");
    }
}
