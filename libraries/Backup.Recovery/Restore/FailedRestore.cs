using System.Data;
using System.Net.Sockets;
using Backup.Recovery.Postgres;
using Npgsql;

namespace Backup.Recovery.Restore;

/// <summary>
/// What becomes of the database a restore created (or dropped and recreated) when the restore fails after that, or is
/// cancelled: it is dropped, so that no half-restored database is left behind to be taken for a restored one, unless
/// the caller asked to keep it for inspection (<see cref="RestoreSettings.KeepFailedDatabase"/>). The drop runs on the
/// maintenance session that holds the target's lock (<see cref="TargetLock"/>), so it never meets another restore of
/// the same database; only a database this restore created is ever dropped here. A restore whose row counts differ from
/// the manifest's ran to its end: it is not a failure of this kind, and its database stays.
/// </summary>
static class FailedRestore
{
    /// <summary>How long the drop may take, the restore having failed or been cancelled already.</summary>
    static readonly TimeSpan DropTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Drops or keeps <paramref name="target"/> after <paramref name="failure"/>, and returns the failure to report
    /// instead, saying so; null: rethrow <paramref name="failure"/> as it is (a cancellation, or an unexpected fault).
    /// </summary>
    public static async Task<Exception?> DropOrKeepAsync(RestoreSettings settings, NpgsqlConnection maintenance, string target,
        Exception failure, RestoreProgress progress)
    {
        var outcome = settings.KeepFailedDatabase
            ? $"The half-restored database {target} is kept for inspection ({settings.Caller.KeepFailedDatabase}): {settings.Caller.AfterFailedRestore}."
            : await DropAsync(settings, maintenance, target);
        progress.FailedAfterDatabaseCreated(target, outcome);
        var server = settings.Server.Describe();
        return failure switch
        {
            RecoveryException e => new RecoveryException(e.Code, $"{e.Message} {outcome}", e.ToolOutput),
            PostgresException e => new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"The restore server {server} failed during the restore into database {target}: {e.MessageText}. {outcome}"),
            NpgsqlException or SocketException or TimeoutException => new RecoveryException(RecoveryErrorCode.ConnectionFailed,
                $"Lost the connection to {server} during the restore into database {target}: {failure.Message}. {outcome} {settings.Caller.CheckConnection}"),
            IOException or UnauthorizedAccessException => new RecoveryException(RecoveryErrorCode.RestoreFailed,
                $"Could not read the artifact or write its decoded archive during the restore into database {target}: {failure.Message}. " +
                $"Check free space and permissions under {settings.Caller.TempDirectory}. {outcome}"),
            _ => null,
        };
    }

    static async Task<string> DropAsync(RestoreSettings settings, NpgsqlConnection maintenance, string target)
    {
        var dropped = $"The half-restored database {target} was dropped ({settings.Caller.KeepFailedDatabase} keeps it for inspection).";
        var sql = $"DROP DATABASE IF EXISTS {DatabaseNames.Quote(target)} WITH (FORCE)";
        using var deadline = new CancellationTokenSource(DropTimeout);
        try
        {
            await ExecuteAsync(maintenance, sql, deadline.Token);
            return dropped;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
        {
            // The server said no on a working session: so it would again.
            if (maintenance.State == ConnectionState.Open) return CouldNotDrop(target, e);
            // The session went down with the restore (the server restarted, the connection was cut), and the target's
            // lock with it: once more on a new session, under the lock taken again.
        }
        catch (OperationCanceledException e)
        {
            return CouldNotDrop(target, e);
        }
        try
        {
            await using var session = settings.Server.Connect(settings.Server.MaintenanceDatabase);
            await session.OpenAsync(deadline.Token);
            await TargetLock.TakeAsync(session, target, settings.Server.Describe(), deadline.Token);
            await ExecuteAsync(session, sql, deadline.Token);
            return dropped;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or OperationCanceledException or RecoveryException)
        {
            return CouldNotDrop(target, e);
        }
    }

    static string CouldNotDrop(string target, Exception e) =>
        $"The half-restored database {target} could not be dropped ({(e is PostgresException postgres ? postgres.MessageText : e.Message)}): drop it yourself, it is not a complete restore.";

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = (int)DropTimeout.TotalSeconds };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
